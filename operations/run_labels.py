"""The worker's labels on its runs (its name and type, shown in the UI), given one request at a time.

Prefect's worker PATCHes ``/flow_runs/{id}/labels`` before it starts each run,
and its client retries a refusal (503) after 2, 4, 8, 16 and 30 s. A Prefect
server on SQLite refuses that PATCH whenever another write lands between its
read and its write (its transaction is not ``BEGIN IMMEDIATE``), which during a
burst is almost every time: of 50 runs, 34 ended without labels after a minute
of retries each, and the 163 refused requests were 8% of all the server answered
(bench_workers, the server's access log). Here a run is labelled by one request
beside its start; a refused one is asked again only once the worker has had
nothing new to label for a while (the burst is over), at most ``attempts``
times in all. Labels never hold a run back: a run without them still runs.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from uuid import UUID

import anyio
import httpx

from operations.run_api import BUSY


def refused_as_busy(error: BaseException) -> bool:
    response = getattr(error, "response", None)
    return isinstance(response, httpx.Response) and response.status_code in BUSY


class RunLabeller:
    """A queue of runs to label and the one task that labels them (:meth:`serve`, until :meth:`close`)."""

    def __init__(self, label_once: Callable[[UUID], Awaitable[None]], *, attempts: int = 3,
                 quiet_seconds: float = 2.0, on_error: Callable[[UUID, BaseException], None] | None = None) -> None:
        self._label_once = label_once
        self._attempts = attempts
        self._quiet = quiet_seconds
        self._on_error = on_error or (lambda run_id, error: None)
        self._send, self._receive = anyio.create_memory_object_stream[UUID](math.inf)
        self.labelled = 0

    def add(self, flow_run_id: UUID) -> None:
        try:
            self._send.send_nowait(flow_run_id)
        except anyio.ClosedResourceError:  # the worker is stopping: the run starts without labels
            pass

    def close(self) -> None:
        self._send.close()

    async def serve(self) -> None:
        refused: dict[UUID, int] = {}  # run: attempts so far
        async with self._receive:
            while True:
                with anyio.move_on_after(self._quiet if refused else math.inf):
                    try:
                        run_id = await self._receive.receive()
                    except anyio.EndOfStream:
                        return
                    await self._try(run_id, 0, refused)
                    continue
                for run_id, tries in list(refused.items()):  # a quiet moment: the refused ones, once more each
                    del refused[run_id]
                    await self._try(run_id, tries, refused)

    async def _try(self, run_id: UUID, tries: int, refused: dict[UUID, int]) -> None:
        try:
            await self._label_once(run_id)
        except Exception as error:
            if refused_as_busy(error) and tries + 1 < self._attempts:
                refused[run_id] = tries + 1
            else:
                self._on_error(run_id, error)
        else:
            self.labelled += 1
