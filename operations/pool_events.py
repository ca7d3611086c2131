"""A worker that looks for runs when its pool's runs change state, not only every few seconds.

Prefect's worker asks the API for scheduled runs every
``PREFECT_WORKER_QUERY_SECONDS`` (10 s by default): a new run, a run resumed
after a review decision (Scheduled, "Resuming") or a run rescheduled by the
restart automation waits up to that long, and so does a run held back by the
pool's limit after a slot frees. The server already says each of those
moments on its event stream (``prefect.flow-run.*`` with the work pool as a
related resource), so this worker subscribes to it (Prefect's own
``get_events_subscriber``) and polls at once when a run of its pool becomes
scheduled or frees a slot. The periodic poll stays as it is: a missed event
(the stream reconnecting, a server restart) costs at most one interval.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import anyio
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter, EventRelatedFilter

if TYPE_CHECKING:
    from prefect.events import Event

WAKING = frozenset({"SCHEDULED", "COMPLETED", "FAILED", "CRASHED", "CANCELLED", "PAUSED"})
"""State types after which the pool may have a run to start: scheduled (new, resumed, rescheduled, retried), or a
slot just freed (the run ended or suspended for review)."""
RESUBSCRIBE_SECONDS = 5.0  # after the stream failed for good; polling carries on meanwhile


def wakes_the_pool(event: Event) -> bool:
    """Whether a flow-run event may leave a run for this pool to start (see :data:`WAKING`)."""
    state = (event.payload or {}).get("validated_state") or {}
    return state.get("type") in WAKING


class PollsOnEvents:
    """Mixed into a Prefect worker (before it): :meth:`listen` runs beside the worker's loops until cancelled."""

    _poll_now: asyncio.Event | None = None

    async def listen(self) -> None:
        """Poll whenever the pool's runs change in a way that may free or schedule one; subscribe again when
        the stream fails (the worker's periodic poll covers the gap)."""
        self._poll_now = asyncio.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(self._poll_when_told)
            while True:
                try:
                    await self._follow_pool_events()
                except Exception as error:  # the server restarting, or an old one without the stream
                    self._logger.debug("pool events: %s; the periodic poll carries on", error)  # type: ignore[attr-defined]
                await anyio.sleep(RESUBSCRIBE_SECONDS)

    async def _follow_pool_events(self) -> None:
        pool = getattr(self, "_work_pool", None)
        if pool is None:  # not synced with the API yet: the periodic loop does that, and will be used meanwhile
            return
        events = EventFilter(event=EventNameFilter(prefix=["prefect.flow-run."]),
                             related=EventRelatedFilter(id=[f"prefect.work-pool.{pool.id}"]))
        async with get_events_subscriber(filter=events) as subscriber:
            async for event in subscriber:
                if wakes_the_pool(event) and self._poll_now is not None:
                    self._poll_now.set()

    def _release_limit_slot(self, flow_run_id) -> None:
        """A run's process ended and gave back this worker's own slot (``--limit``, ``[serve] limit``): a run held
        back by that limit can start now, not at the next periodic poll (up to a second a wave, bench_workers)."""
        super()._release_limit_slot(flow_run_id)  # type: ignore[misc]
        if self._poll_now is not None and getattr(self, "_limiter", None) is not None:
            self._poll_now.set()

    async def _poll_when_told(self) -> None:
        """One poll at a time: events arriving during a poll make one more after it."""
        assert self._poll_now is not None
        while True:
            await self._poll_now.wait()
            self._poll_now.clear()
            try:
                await self.get_and_submit_flow_runs()  # type: ignore[attr-defined]
            except Exception as error:  # the periodic loop reports the API's troubles
                self._logger.debug("poll on event: %s", error)  # type: ignore[attr-defined]
