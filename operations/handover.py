"""While a burst's runs are being created, the worker in the same process waits before starting any of them.

A Prefect server on SQLite refuses a bulk creation whenever another write
lands between the bulk's first read and its first write (Prefect opens that
transaction deferred), and a run that starts writes many times a second: once
the first hundred of a burst ran, the next hundred were refused bulk after
bulk, then one at a time, for four minutes (bench_workers, 200 items). The
inbox of ``tarjama serve`` and its worker share a process, so the inbox holds
this gate while it hands a burst over and the worker waits for it (at most
:data:`LONGEST_HOLD` seconds) before it submits a run. A worker in another
process is not held; on PostgreSQL nothing conflicts.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LONGEST_HOLD = 30.0
"""A worker never waits longer for a handover (a stuck server must not stop the runs already created)."""


class Handover:
    """A gate held by any number of threads; coroutines wait until none holds it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    @property
    def closed(self) -> bool:
        """Whether a thread holds the gate now."""
        with self._lock:
            return self._holders > 0

    @contextmanager
    def held(self) -> Iterator[None]:
        """The gate closed until the block ends."""
        with self._lock:
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                woken = self._waiting if not self._holders else []
                if woken:
                    self._waiting = []
            for loop, event in woken:
                try:
                    loop.call_soon_threadsafe(event.set)
                except RuntimeError:  # that loop has closed: nobody waits there any more
                    pass

    async def wait_open(self, longest: float = LONGEST_HOLD) -> None:
        """Return once no thread holds the gate, or after ``longest`` seconds."""
        with self._lock:
            if not self._holders:
                return
            event = asyncio.Event()
            self._waiting.append((asyncio.get_running_loop(), event))
        try:
            await asyncio.wait_for(event.wait(), longest)
        except TimeoutError:
            pass


HANDOVER = Handover()
"""This process's gate: held by :func:`operations.runs.start_item_runs` while it creates runs in bulk."""
