"""The review watcher of ``tarjama serve`` and ``tarjama watch``: fail overdue reviews, wake runs that have
decisions waiting, give back the provider slots of runs that lost their worker (a reviewer's decision itself is
delivered by :mod:`operations.delivery`, runs are started by :mod:`operations.runs`)."""

from __future__ import annotations

import datetime as dt

from flows.events import Milestone, emit_milestone
from flows.quotas import held_slots
from operations.delivery import wake
from operations.run_api import Run, RunApi
from operations.runs import runs_of
from tarjama.errors import TarjamaError
from tarjama.review import events as review_log
from tarjama.review.decisions import record_timeout
from tarjama.review.events import Superseded, now_utc
from tarjama.review.reminders import record_reminder, reminder_due
from tarjama.review.state import fold, waiting_in_run
from tarjama.settings import Settings, current_settings
from tarjama.workspace import Workspace, find_workspace


class ReviewWatch:
    """The review watcher's rounds over the suspended runs: a run past its review deadline is failed (naming the
    languages still waiting; Prefect would fail it too, later and with a generic message), a run whose item has
    requests nobody delivered (a sender gave up waiting) is woken. One connection for the watcher's life (a new
    client loads the system's certificates: about 30 ms of CPU), one read of each run's review log per round."""

    def __init__(self, default_workspace: Workspace | None = None) -> None:
        self.default_workspace = default_workspace
        self._api: RunApi | None = None

    def close(self) -> None:
        if self._api is not None:
            self._api.__exit__(None, None, None)
            self._api = None

    def round(self) -> list[str]:
        """One look at every suspended run; a line for each run failed or woken. A round that fails (the server is
        restarting) drops the connection: the next one opens a new one."""
        try:
            if self._api is None:
                self._api = RunApi()
            return self._look(self._api)
        except BaseException:
            self.close()
            raise

    def _look(self, api: RunApi) -> list[str]:
        said = self._free_slots_of_lost_runs(api)
        for run in runs_of(api, None, None, frozenset({"PAUSED"})):
            workspace = _workspace_of(run, self.default_workspace)
            try:
                events = review_log.read(workspace, run.name)
            except TarjamaError:
                continue
            review = fold(events)
            if run.id in review.superseded:
                said.append(_stop_superseded(api, run, events))
                continue
            if review.current_run != run.id:
                continue
            deadline, waiting = waiting_in_run(events, run.id)
            settings = _settings_of(workspace)  # once per run and round, for all it does with this run
            if deadline is not None and deadline <= now_utc():
                said.append(_expire(api, workspace, settings, run, deadline, waiting))
                continue
            if deadline is not None and settings is not None and reminder_due(events, run.id, deadline, waiting,
                                                                              settings, now_utc()):
                said.append(_remind(workspace, settings, run, deadline, waiting))
            if review.pending and wake(api, run.id, events, review.pending[0].request):
                said.append(f"{run.name}: woken for {len(review.pending)} pending decision(s)")
        return said


    def _free_slots_of_lost_runs(self, api: RunApi) -> list[str]:
        """Provider slots written down by runs that are no longer running (their worker died and the restart
        automation rescheduled them, or they ended without giving a slot back): released now, not when their
        lease runs out (a minute at least, during which the provider stalls for every other worker)."""
        if self.default_workspace is None:
            return []
        held = held_slots(self.default_workspace.state_dir)
        said = []
        for run_id in sorted({slot.run_id for slot in held}):
            run = api.run(run_id)
            if run is not None and run.state.type == "RUNNING":
                continue
            lost = [slot for slot in held if slot.run_id == run_id]
            for slot in lost:
                api.release_lease(slot.lease_id)
                slot.path.unlink(missing_ok=True)
            said.append(f"{run.name if run else run_id}: {len(lost)} provider slot(s) given back "
                        f"(the run is {run.state.name if run else 'gone'}, not drafting)")
        return said


def _stop_superseded(api: RunApi, run: Run, events: list) -> str:
    """A run taken over while it was on its way to the gate (after it last looked, before Prefect had it Suspended:
    the newer run found it running, not paused) waits for a review that is no longer its: Cancelled now, as the
    newer run cancels the ones it finds suspended."""
    by = next((e.by for e in events if isinstance(e, Superseded) and e.run_id == run.id), "?")
    api.cancel(run.id, Superseded.reason(by))
    return f"{run.name}: run {run.id} cancelled, superseded by run {by}"


def _settings_of(workspace: Workspace) -> Settings | None:
    """The workspace's settings (parsed again only when its tarjama.toml changes); None while that file is broken:
    the commands that read it say so, the watcher goes on (it still fails overdue runs, without their notice)."""
    try:
        return current_settings(workspace.config_file)
    except TarjamaError:
        return None


def _expire(api: RunApi, workspace: Workspace, settings: Settings | None, run: Run, deadline: dt.datetime,
            waiting: list[str]) -> str:
    message = f"Review timed out at {deadline:%Y-%m-%d %H:%M} UTC; still waiting for: {', '.join(waiting) or 'none'}"
    record_timeout(workspace, run.name, run.id, waiting)  # first: whoever sees the run failed finds it recorded
    api.fail(run.id, message)
    if settings is not None:
        emit_milestone(Milestone.OVERDUE, settings, run.name, waiting,
                       f"{run.name}: review overdue, still waiting for {', '.join(waiting) or 'none'}; "
                       f"the run failed at its deadline ({deadline:%Y-%m-%d %H:%M} UTC)", run_id=run.id)
    return f"{run.name}: {message}"


def _remind(workspace: Workspace, settings: Settings, run: Run, deadline: dt.datetime, waiting: list[str]) -> str:
    record_reminder(workspace, run.name, run.id, waiting, deadline)  # first: a reminder is sent at most once
    left = max(0, int((deadline - now_utc()).total_seconds() // 60))
    text = (f"{run.name}: review due in {left} min ({deadline:%Y-%m-%d %H:%M} UTC), still waiting for "
            f"{', '.join(waiting)}")
    emit_milestone(Milestone.REMINDER, settings, run.name, waiting, text, run_id=run.id,
                   deadline=deadline.isoformat())
    return text


def _workspace_of(run: Run, default: Workspace | None) -> Workspace:
    given = run.parameters.get("workspace")
    return find_workspace(given) if given else (default or find_workspace())
