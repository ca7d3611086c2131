"""What a worker read about a run a moment ago: its deployment, flow, work queue and pool, read once per run.

For every run, Prefect's worker reads the run's deployment twice within a
tenth of a second (that it still exists, then its job variables) and its flow;
the run's process then reads the flow, deployment, work queue and pool again
only to name them in the events it sends (Prefect's related-resource cache,
empty in a new process). On a burst that is five of a run's 38 API requests
(the server's access log, bench_workers). The worker's client answers a read
from the last few seconds with that answer, and hands the objects to the run's
process, which starts with them in that cache: the same objects, fresh for
this run, one read each.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import FlowRun, WorkPool

FRESH_SECONDS = 2.0
"""How old a read may be and still answer: the worker's two reads of a deployment for one run are 0.1 s apart."""
QUEUE_SECONDS = 60.0
"""A work queue's name and id only label events; read again once a minute."""


class _Memo:
    """One client method, answering from its answer of the last ``seconds`` for the same id."""

    def __init__(self, read: Callable[[Any], Awaitable[Any]], seconds: float) -> None:
        self._read = read
        self._seconds = seconds
        self._answers: dict[str, tuple[float, Any]] = {}

    async def __call__(self, object_id: Any) -> Any:
        key = str(object_id)
        known = self._answers.get(key)
        if known is not None and time.monotonic() - known[0] < self._seconds:
            return known[1]
        answer = await self._read(object_id)
        now = time.monotonic()
        self._answers = {k: v for k, v in self._answers.items() if now - v[0] < self._seconds}
        self._answers[key] = (now, answer)
        return answer

    def last(self, object_id: Any) -> Any:
        """The answer of the latest read of this id still kept, a read older than the window being dropped at the
        next read (None if none is kept): for a run, the worker's reads for that run a moment ago."""
        known = self._answers.get(str(object_id))
        return known[1] if known else None


class RecentReads:
    """The worker client's reads of deployments, flows and work queues, each answered from a read of the last
    moment (installed on that client instance only)."""

    def __init__(self, client: PrefectClient) -> None:
        self._deployments = _Memo(client.read_deployment, FRESH_SECONDS)
        self._flows = _Memo(client.read_flow, FRESH_SECONDS)
        self._queues = _Memo(client.read_work_queue, QUEUE_SECONDS)
        client.read_deployment = self._deployments  # type: ignore[method-assign]
        client.read_flow = self._flows  # type: ignore[method-assign]
        client.read_work_queue = self._queues  # type: ignore[method-assign]

    async def related(self, flow_run: FlowRun, work_pool: WorkPool | None) -> dict[str, Any]:
        """The run's flow, deployment, work queue and pool, keyed as Prefect's related-resource cache keys them
        (``kind.id``), for the run's process to start with."""
        known: dict[str, Any] = {}
        for kind, memo, object_id in (("flow", self._flows, flow_run.flow_id),
                                      ("deployment", self._deployments, flow_run.deployment_id)):
            if object_id is not None and (found := memo.last(object_id)) is not None:
                known[f"{kind}.{object_id}"] = found
        if flow_run.work_queue_id is not None:
            try:
                known[f"work-queue.{flow_run.work_queue_id}"] = await self._queues(flow_run.work_queue_id)
            except Exception:  # only a label: the run's process reads it itself
                pass
        if work_pool is not None and flow_run.work_pool_name == work_pool.name:
            known[f"work-pool.{work_pool.name}"] = work_pool
        return known


def remember_related(known: dict[str, Any]) -> None:
    """In the run's process: start Prefect's related-resource cache with the worker's objects (a module-level
    dict Prefect fills on first use and never expires; no API to seed it)."""
    if not known:
        return
    from prefect.events import related
    from prefect.types._datetime import now

    stamp = now("UTC")
    for key, found in known.items():
        related.RESOURCE_CACHE[key] = ({"kind": key.split(".", 1)[0], "object": found}, stamp)
