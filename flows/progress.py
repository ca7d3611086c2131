"""A language's MT progress in the Prefect UI, for drafting that lasts long enough to watch.

A progress artifact costs the server a write when it is created and one per update; on a 4-sentence item,
drafted in a fraction of a second, it went from 0 to 100 with nobody looking, and those writes were a tenth of
a burst's API calls (bench_workers). So the artifact appears once drafting has lasted ``after`` seconds, moves
at most every ``every`` seconds, and is brought to 100 when the language is done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from uuid import UUID

SHOWN_AFTER_SECONDS = 1.0
UPDATED_EVERY_SECONDS = 0.5


class LazyProgress:
    """``on_progress(done, total)`` for :func:`tarjama.drafting.draft_language`; ``create(progress)`` returns the
    artifact's id, ``update(artifact_id, progress)`` moves it (Prefect's artifact functions, or fakes in tests)."""

    def __init__(self, create: Callable[[float], UUID], update: Callable[[UUID, float], object], *,
                 after: float | None = None, every: float = UPDATED_EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._create, self._update, self._every, self._clock = create, update, every, clock
        self._after = SHOWN_AFTER_SECONDS if after is None else after
        self._started = clock()
        self._shown_at: float | None = None
        self._artifact: UUID | None = None
        self._lock = threading.Lock()  # the engine reports from its worker threads

    def __call__(self, done: int, total: int) -> bool:
        """Whether the artifact was created or moved by this call."""
        with self._lock:
            return self._report(done, total)

    def _report(self, done: int, total: int) -> bool:
        now = self._clock()
        percent = 100.0 * done / total if total else 100.0
        if self._artifact is None:
            if done < total and now - self._started >= self._after:
                self._artifact = self._create(percent)
                self._shown_at = now
                return True
            return False
        assert self._shown_at is not None
        if done == total or now - self._shown_at >= self._every:
            self._shown_at = now
            self._update(self._artifact, percent)
            return True
        return False
