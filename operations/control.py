"""Talking to the served deployment: start runs, find an item's live run, fail overdue reviews, wake runs
that have decisions waiting (a reviewer's decision itself is delivered by :mod:`operations.delivery`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from contextlib import nullcontext
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import DeploymentStatus, FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.states import Failed

from flows.events import Milestone, emit_milestone
from flows.names import DEPLOYMENT, FLOW_NAME
from operations.delivery import wake
from operations.run_api import LIVE as LIVE_STATE_TYPES
from operations.run_api import RunApi
from tarjama.errors import TarjamaError
from tarjama.languages import DEFAULT_TARGETS
from tarjama.review import events as review_log
from tarjama.review.decisions import record_timeout
from tarjama.review.events import now_utc
from tarjama.review.state import fold, waiting_in_run
from tarjama.settings import load_settings
from tarjama.workspace import Workspace, find_workspace

LIVE = [StateType(name) for name in sorted(LIVE_STATE_TYPES)]  # one list: the REST client's
SETTLED = {StateType.PAUSED, StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
POLL = 0.3  # seconds between looks at the runs' states (API calls)


def deployment_is_served() -> bool:
    """True when ``tarjama serve`` is polling for runs of the deployment."""
    with get_client(sync_client=True) as client:
        try:
            found = client.read_deployment_by_name(DEPLOYMENT)
        except ObjectNotFound:
            return False
    return found.status == DeploymentStatus.READY


def start_run(parameters: dict, *, name: str, idempotency_key: str | None = None) -> FlowRun:
    """Create a run of the served deployment, named after its item from the start; with a key, a second
    request for the same key returns the first run instead of a new one."""
    # _sync: Prefect dispatches on whether an event loop runs in this thread (a browser driver's, a notebook's);
    # this function is synchronous wherever it is called from
    return run_deployment(DEPLOYMENT, parameters=parameters, flow_run_name=name, idempotency_key=idempotency_key,
                          timeout=0, as_subflow=False, _sync=True)


RETRIED = {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
def run_options(params: dict | None) -> dict:
    """The options of a run's parameters that decide what it drafts, defaults filled in: the inbox watcher's
    runs (no options given) and ``translate``'s with its defaults have the same options."""
    given = params or {}
    return {"targets": list(given.get("targets") or DEFAULT_TARGETS), "providers": list(given.get("providers") or []),
            "suggest_from": list(given.get("suggest_from") or []), "concurrency": given.get("concurrency")}


def item_key(workspace: Workspace, source_path: str, digest: str, params: dict | None = None) -> str:
    """One run per item text and options: the idempotency key the inbox watcher and ``translate`` share."""
    digest_of_options = hashlib.sha256(json.dumps(run_options(params), sort_keys=True).encode()).hexdigest()[:12]
    return f"tarjama:{workspace.root}:{source_path}:{digest}:{digest_of_options}"


def start_item_run(workspace: Workspace, source_path: str, digest: str, parameters: dict, *, name: str) -> FlowRun:
    """A run for an item's text and options: the one already started for them (a repeat start is a no-op),
    unless that one failed, crashed or was cancelled: then a new one (an editor's retry is never answered with
    the old failure). The retry's key names the run it replaces, so two retries at once still make one run."""
    key = item_key(workspace, source_path, digest, parameters)
    for _ in range(20):
        run = start_run(parameters, name=name, idempotency_key=key)
        if not (run.state and run.state.type in RETRIED):
            return run
        key = f"{item_key(workspace, source_path, digest, parameters)}:after:{run.id}"
    return run


def wait_until_settled(run_ids: list[UUID], timeout: float = 900) -> dict[UUID, FlowRun]:
    """Wait until each run is suspended for review or finished (or ``timeout`` passes); the runs as they are."""
    deadline = time.monotonic() + timeout
    runs: dict[UUID, FlowRun] = {}
    with get_client(sync_client=True) as client:
        while True:
            runs = {run_id: client.read_flow_run(run_id) for run_id in run_ids}
            if all(r.state and r.state.type in SETTLED for r in runs.values()) or time.monotonic() > deadline:
                return runs
            time.sleep(POLL)


def runs_of(slug: str | None, workspace: Workspace | None, states: list[StateType],
            client: SyncPrefectClient | None = None) -> list[FlowRun]:
    """Runs of the flow in ``states`` (newest first); only ``slug``'s and ``workspace``'s when given. A caller that
    asks often passes its own ``client`` (each new one loads the system's certificates: about 30 ms of CPU)."""
    run_filter = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states)))
    if slug:
        run_filter.name = FlowRunFilterName(any_=[slug])
    with nullcontext(client) if client is not None else get_client(sync_client=True) as asking:
        runs = asking.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])),
                                     flow_run_filter=run_filter, sort=FlowRunSort.EXPECTED_START_TIME_DESC)
    if workspace is None:
        return runs
    root = workspace.root.resolve()
    return [r for r in runs if r.parameters.get("workspace") and Path(r.parameters["workspace"]).resolve() == root]


class ReviewWatch:
    """The review watcher's rounds over the suspended runs: a run past its review deadline is failed (naming the
    languages still waiting; Prefect would fail it too, later and with a generic message), a run whose item has
    requests nobody delivered (a sender gave up waiting) is woken. One Prefect client and one REST connection for
    the watcher's life, one read of each run's review log per round."""

    def __init__(self, default_workspace: Workspace | None = None) -> None:
        self.default_workspace = default_workspace
        self._clients: tuple[SyncPrefectClient, RunApi] | None = None

    def close(self) -> None:
        if self._clients is not None:
            client, api = self._clients
            self._clients = None
            api.__exit__(None, None, None)
            client.__exit__(None, None, None)

    def round(self) -> list[str]:
        """One look at every suspended run; a line for each run failed or woken. A round that fails (the server is
        restarting) drops the connections: the next one opens new ones."""
        try:
            if self._clients is None:
                self._clients = (get_client(sync_client=True).__enter__(), RunApi())
            return self._look(*self._clients)
        except BaseException:
            self.close()
            raise

    def _look(self, client: SyncPrefectClient, api: RunApi) -> list[str]:
        said = []
        for run in runs_of(None, None, [StateType.PAUSED], client=client):
            workspace = _workspace_of(run, self.default_workspace)
            try:
                events = review_log.read(workspace, run.name)
            except TarjamaError:
                continue
            review = fold(events)
            if review.current_run != str(run.id):
                continue
            deadline, waiting = waiting_in_run(events, str(run.id))
            if deadline is not None and deadline <= now_utc():
                said.append(self._expire(client, workspace, run, deadline, waiting))
            elif review.pending and wake(api, str(run.id), events, review.pending[0].request):
                said.append(f"{run.name}: woken for {len(review.pending)} pending decision(s)")
        return said

    @staticmethod
    def _expire(client: SyncPrefectClient, workspace: Workspace, run: FlowRun, deadline: dt.datetime,
                waiting: list[str]) -> str:
        message = f"Review timed out at {deadline:%Y-%m-%d %H:%M} UTC; still waiting for: {', '.join(waiting) or 'none'}"
        client.set_flow_run_state(run.id, Failed(message=message), force=True)
        record_timeout(workspace, run.name, str(run.id), waiting)
        emit_milestone(Milestone.OVERDUE, load_settings(workspace.config_file), run.name, waiting,
                       f"{run.name}: review overdue, still waiting for {', '.join(waiting) or 'none'}; "
                       f"the run failed at its deadline ({deadline:%Y-%m-%d %H:%M} UTC)", run_id=str(run.id))
        return f"{run.name}: {message}"


def _workspace_of(run: FlowRun, default: Workspace | None) -> Workspace:
    given = run.parameters.get("workspace")
    return find_workspace(given) if given else (default or find_workspace())
