"""What a flow run asks Prefect about runs: one by id, how often it was rescheduled, and stopping the run it
replaces (operations/ does the rest: starting runs, waking them, delivering decisions)."""

from __future__ import annotations

from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled

from flows.names import RESCHEDULED
from tarjama.review.events import Superseded


def times_rescheduled(run_id: str | UUID) -> int:
    """How often the automations of ``tarjama deploy`` put this run back after its worker stopped."""
    with get_client(sync_client=True) as client:
        return sum(1 for state in client.read_flow_run_states(UUID(str(run_id))) if state.name == RESCHEDULED)


def read_run(run_id: str | UUID) -> FlowRun | None:
    with get_client(sync_client=True) as client:
        try:
            return client.read_flow_run(UUID(str(run_id)))
        except (ObjectNotFound, ValueError):
            return None


def supersede(run_ids: list[str], by: str) -> list[str]:
    """Cancel the superseded runs that are waiting for review (a running one sees it at its gate)."""
    stopped = []
    with get_client(sync_client=True) as client:
        for run_id in run_ids:
            run = read_run(run_id)
            if run is not None and run.state and run.state.type in (StateType.PAUSED, StateType.SCHEDULED):
                client.set_flow_run_state(run.id, Cancelled(message=Superseded.reason(by)),
                                          force=True)
                stopped.append(run_id)
    return stopped
