"""Runs of the served deployment, as commands start and follow them: over the REST API, without importing Prefect.

One run per item text and options (an idempotency key), a failed one never
the answer to a new start, an item's live runs, and the wait until runs
settle (suspended for review, or ended). ``tarjama translate`` and the inbox
watcher start runs here; a command that only hands items over costs what the
requests cost, not Prefect's start-up.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flows.names import DEPLOYMENT, FLOW_NAME
from operations.handover import HANDOVER
from operations.run_api import LIVE, RETRIED, SETTLED, Run, RunApi
from tarjama.errors import TarjamaError
from tarjama.run_request import RunRequest
from tarjama.workspace import Workspace

POLL = 0.3  # seconds between looks at the runs' states (API calls)


def deployment_is_served(api: RunApi) -> bool:
    """True when a worker of the deployment's pool is polling for its runs (Prefect says READY)."""
    found = api.deployment(DEPLOYMENT)
    return found is not None and found.get("status") == "READY"


def start_run(api: RunApi, parameters: dict, *, name: str, idempotency_key: str | None = None) -> Run:
    """Create a run of the served deployment, named after its item from the start; with a key, a second
    request for the same key returns the first run instead of a new one."""
    found = api.deployment(DEPLOYMENT)
    if found is None:
        raise TarjamaError(f"the Prefect server has no deployment {DEPLOYMENT}: start `tarjama serve` (or "
                           "`tarjama deploy` and workers)")
    return api.create_run(str(found["id"]), parameters, name, idempotency_key)


def run_options(params: dict | None) -> dict:
    """The options of a run's parameters that decide what it drafts, defaults filled in: the inbox watcher's
    runs (no options given) and ``translate``'s with its defaults have the same options."""
    given = params or {}
    return {**RunRequest.of(given).options(), "concurrency": given.get("concurrency")}


def item_key(workspace: Workspace, source_path: str, digest: str, params: dict | None = None) -> str:
    """One run per item text and options: the idempotency key the inbox watcher and ``translate`` share."""
    digest_of_options = hashlib.sha256(json.dumps(run_options(params), sort_keys=True).encode()).hexdigest()[:12]
    return f"tarjama:{workspace.root}:{source_path}:{digest}:{digest_of_options}"


def start_item_run(api: RunApi, workspace: Workspace, source_path: str, digest: str, parameters: dict, *,
                   name: str) -> Run:
    """A run for an item's text and options: the one already started for them (a repeat start is a no-op),
    unless that one failed, crashed or was cancelled: then a new one (an editor's retry is never answered with
    the old failure). The retry's key names the run it replaces, so two retries at once still make one run."""
    key = item_key(workspace, source_path, digest, parameters)
    for _ in range(20):
        run = start_run(api, parameters, name=name, idempotency_key=key)
        if run.state.type not in RETRIED:
            return run
        key = f"{item_key(workspace, source_path, digest, parameters)}:after:{run.id}"
    return run


@dataclass(frozen=True)
class ItemStart:
    """What starting an item's run takes: its text (path and digest), the run's parameters and name."""

    source_path: str
    digest: str
    parameters: dict
    name: str


def start_item_runs(api: RunApi, workspace: Workspace, starts: Sequence[ItemStart]) -> list[Run | TarjamaError]:
    """The runs of many items at once, as :func:`start_item_run` starts each: one request for the lot (Prefect's
    bulk route, one transaction per hundred runs), then one by one only where the bulk answer was an item's
    earlier run that failed (a new run replaces it), a refusal, or a server without the route. A burst dropped
    into the inbox so has its runs before the first of them starts writing: created one at a time, on a Prefect
    server on SQLite, later creations raced the first runs' writes and were refused for up to 30 s each
    (bench_workers). Each item's run, or the error that kept it from starting."""
    found = api.deployment(DEPLOYMENT)
    if found is None:
        error = TarjamaError(f"the Prefect server has no deployment {DEPLOYMENT}: start `tarjama serve` (or "
                             "`tarjama deploy` and workers)")
        return [error for _ in starts]
    with HANDOVER.held():  # a worker in this process starts none of them before all are created
        ids = api.create_runs(str(found["id"]), [
            (s.parameters, s.name, item_key(workspace, s.source_path, s.digest, s.parameters)) for s in starts])
    made = api.runs_by_id(i for i in ids if i) if ids else {}
    results: list[Run | TarjamaError] = []
    for index, start in enumerate(starts):
        run = made.get(ids[index] or "") if ids else None
        if run is None or run.state.type in RETRIED:
            try:
                run = start_item_run(api, workspace, start.source_path, start.digest, start.parameters, name=start.name)
            except TarjamaError as error:
                results.append(error)
                continue
        results.append(run)
    return results


def runs_of(api: RunApi, slug: str | None, workspace: Workspace | None, states: frozenset[str] = LIVE) -> list[Run]:
    """Runs of the flow in ``states`` (newest first); only ``slug``'s and ``workspace``'s when given."""
    runs = api.runs(FLOW_NAME, states, [slug] if slug else ())
    if workspace is None:
        return runs
    root = workspace.root.resolve()
    return [r for r in runs if r.parameters.get("workspace") and Path(r.parameters["workspace"]).resolve() == root]


def wait_until_settled(api: RunApi, run_ids: list[str], timeout: float = 900) -> dict[str, Run]:
    """Wait until each run is suspended for review or finished (or ``timeout`` passes); the runs as they are."""
    deadline = time.monotonic() + timeout
    while True:
        runs = {run_id: api.run(run_id) for run_id in run_ids}
        known = {run_id: run for run_id, run in runs.items() if run is not None}
        if all(run.state.type in SETTLED for run in known.values()) or time.monotonic() > deadline:
            return known
        time.sleep(POLL)  # the server announces nothing to a plain HTTP client: the states are asked again
