"""The MT progress artifact: shown only for drafting that lasts, moved at most every half second, ended at 100."""

from __future__ import annotations

import uuid

from flows.progress import LazyProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def recorder():
    calls: list[tuple[str, float]] = []
    artifact = uuid.uuid4()

    def create(progress: float) -> uuid.UUID:
        calls.append(("create", progress))
        return artifact

    def update(artifact_id: uuid.UUID, progress: float) -> None:
        assert artifact_id == artifact
        calls.append(("update", progress))

    return calls, create, update


def test_quick_drafting_shows_no_progress_artifact() -> None:
    calls, create, update = recorder()
    clock = Clock()
    progress = LazyProgress(create, update, clock=clock)
    for done in range(1, 5):
        clock.now += 0.1
        assert progress(done, 4) is False
    assert calls == []


def test_long_drafting_shows_progress_then_moves_it_at_most_every_half_second_and_ends_at_100() -> None:
    calls, create, update = recorder()
    clock = Clock()
    progress = LazyProgress(create, update, clock=clock)
    clock.now += 0.4
    assert progress(1, 10) is False  # not yet worth showing
    clock.now += 0.7
    assert progress(2, 10) is True  # 1.1 s in: shown where it stands
    clock.now += 0.2
    assert progress(3, 10) is False  # moved 0.2 s ago
    clock.now += 0.4
    assert progress(4, 10) is True
    clock.now += 0.1
    assert progress(10, 10) is True  # the end is always shown
    assert calls == [("create", 20.0), ("update", 40.0), ("update", 100.0)]


def test_a_language_that_finishes_before_it_is_shown_never_creates_one() -> None:
    calls, create, update = recorder()
    clock = Clock()
    progress = LazyProgress(create, update, clock=clock)
    clock.now += 5.0
    assert progress(3, 3) is False  # done in one step, however long it took: nothing left to watch
    assert calls == []
