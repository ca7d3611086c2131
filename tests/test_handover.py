"""The handover gate (``operations/handover.py``): a worker waits while the inbox of its process creates a burst's
runs, goes on the moment the last holder lets go, and never waits longer than it is told."""

from __future__ import annotations

import asyncio
import threading

from operations.handover import Handover


def test_an_open_gate_does_not_wait() -> None:
    gate = Handover()
    asyncio.run(asyncio.wait_for(gate.wait_open(longest=60), 60))  # returns at once: nothing awaited
    assert not gate.closed


def test_a_waiter_goes_on_when_the_last_holder_lets_go_in_another_thread() -> None:
    gate = Handover()
    order: list[str] = []
    holding, release_first, release_second = threading.Event(), threading.Event(), threading.Event()

    def hold(release: threading.Event, name: str) -> None:
        with gate.held():
            holding.set()
            release.wait()
            order.append(f"{name} released")

    async def main() -> None:
        first = threading.Thread(target=hold, args=(release_first, "first"))
        first.start()
        holding.wait()
        holding.clear()
        second = threading.Thread(target=hold, args=(release_second, "second"))
        second.start()
        holding.wait()
        waiter = asyncio.create_task(gate.wait_open(longest=60))
        await asyncio.sleep(0)  # the waiter registers itself
        release_first.set()
        await asyncio.to_thread(first.join)
        assert not waiter.done() and gate.closed  # one holder left: still waiting
        release_second.set()
        await asyncio.wait_for(waiter, 60)
        order.append("waiter went on")
        second.join()

    asyncio.run(main())
    assert order == ["first released", "second released", "waiter went on"] and not gate.closed


def test_a_waiter_gives_up_after_the_longest_hold() -> None:
    gate = Handover()
    with gate.held():
        asyncio.run(gate.wait_open(longest=0.01))  # returns although the gate is still held
        assert gate.closed
