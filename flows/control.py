"""Talking to the served deployment from the CLI: start runs, find the run waiting for an item, resume it.

Used by ``tarjama translate`` (hand an item to the review loop), ``tarjama
approve`` / ``request-changes`` and ``tarjama serve``'s timeout watcher.
"""

from __future__ import annotations

import time
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterName, FlowRunFilterState, FlowRunFilterStateType,
)
from prefect.client.schemas.objects import DeploymentStatus, FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.flow_runs import resume_flow_run
from prefect.states import Failed

from tarjama.errors import TarjamaError
from tarjama.review import DecisionRecord, decisions_in_run, now_utc, pending_in_run, precheck_decision, record_timeout, was_published
from tarjama.workspace import Workspace, find_workspace

FLOW_NAME = "translate-article"
DEPLOYMENT_NAME = "tarjama"
DEPLOYMENT = f"{FLOW_NAME}/{DEPLOYMENT_NAME}"
SETTLED = {StateType.PAUSED, StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}


def deployment_is_served() -> bool:
    """True when ``tarjama serve`` is polling for runs of the deployment."""
    with get_client(sync_client=True) as client:
        try:
            found = client.read_deployment_by_name(DEPLOYMENT)
        except ObjectNotFound:
            return False
    return found.status == DeploymentStatus.READY


def start_run(parameters: dict) -> FlowRun:
    return run_deployment(DEPLOYMENT, parameters=parameters, timeout=0, as_subflow=False)


def wait_until_settled(run_id: UUID, timeout: float = 900, poll: float = 1.0) -> FlowRun:
    """Wait until the run is suspended for review or finished."""
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(run_id)
            if run.state and run.state.type in SETTLED or time.monotonic() > deadline:
                return run
            time.sleep(poll)


def waiting_runs(slug: str | None = None, workspace: Workspace | None = None) -> list[FlowRun]:
    """Runs suspended for review, newest first; only those of ``slug`` (and of ``workspace``) when given."""
    run_filter = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])))
    if slug:
        run_filter.name = FlowRunFilterName(any_=[slug])
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[FLOW_NAME])),
                                     flow_run_filter=run_filter, sort=FlowRunSort.START_TIME_DESC)
    if workspace is None:
        return runs
    root = workspace.root.resolve()
    return [r for r in runs if r.parameters.get("workspace") and Path(r.parameters["workspace"]).resolve() == root]


def send_decision(workspace: Workspace, run: FlowRun, lang: str, decision: str, reviewer: str, note: str,
                  timeout: float = 120) -> DecisionRecord | None:
    """Resume ``run`` with a decision and wait for the flow's verdict (None if it does not come in time)."""
    before = len(decisions_in_run(workspace, run.name, str(run.id)))
    resume_flow_run(run.id, run_input={"language": lang, "decision": decision, "reviewer": reviewer, "note": note})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = decisions_in_run(workspace, run.name, str(run.id))
        if len(records) > before:
            record = records[-1]
            # an approval is answered once its publication is done, so links shown to people work
            while record.accepted and not was_published(workspace, run.name, str(run.id), record.key or ""):
                if time.monotonic() > deadline:
                    return record
                time.sleep(0.3)
            return record
        time.sleep(0.5)
    return None


def submit_decision(workspace: Workspace, slug: str, lang: str, decision: str, reviewer: str, note: str = "",
                    wait: float = 120) -> DecisionRecord | None:
    """Check a decision like the flow will, send it to the run waiting for ``slug`` and return its verdict.

    The one path for the CLI and the review desk; raises TarjamaError when it cannot be sent.
    """
    precheck_decision(workspace, slug, lang, decision, reviewer)
    runs = waiting_runs(slug, workspace)
    if not runs:
        raise TarjamaError(f"no run is waiting for review of {slug!r}; run `tarjama translate` on its item while "
                           "`tarjama serve` runs")
    return send_decision(workspace, runs[0], lang, decision, reviewer, note, timeout=wait)


def expire_overdue_reviews(default_workspace: Workspace | None = None) -> list[str]:
    """Fail suspended runs whose review deadline has passed, naming the languages still waiting.

    Prefect would fail them too, later and with a generic message; ``tarjama serve`` runs this every few seconds.
    """
    expired = []
    with get_client(sync_client=True) as client:
        for run in waiting_runs():
            workspace = find_workspace(run.parameters.get("workspace")) if run.parameters.get("workspace") else (
                default_workspace or find_workspace())
            try:
                deadline, waiting = pending_in_run(workspace, run.name, str(run.id))
            except Exception:
                continue
            if deadline is None or deadline > now_utc():
                continue
            message = f"Review timed out at {deadline:%Y-%m-%d %H:%M} UTC; still waiting for: {', '.join(waiting) or 'none'}"
            client.set_flow_run_state(run.id, Failed(message=message), force=True)
            record_timeout(workspace, run.name, str(run.id), waiting)
            expired.append(f"{run.name}: {message}")
    return expired
