"""The warm worker's labels on its runs: one request each, a busy server's refusal asked again once the burst is
over (at most three times), anything else given up at once."""

from __future__ import annotations

from uuid import UUID, uuid4

import anyio
import httpx

from operations.run_labels import RunLabeller


def _refusal(status: int) -> httpx.HTTPStatusError:
    request = httpx.Request("PATCH", "http://127.0.0.1/api/flow_runs/x/labels")
    return httpx.HTTPStatusError("refused", request=request, response=httpx.Response(status, request=request))


def _serve(labeller: RunLabeller, runs: list[UUID]) -> None:
    async def main() -> None:
        for run_id in runs:
            labeller.add(run_id)  # queued before the labeller looks: it meets no quiet moment in between
        await labeller.serve()  # until the labeller is closed

    anyio.run(main)


def test_a_refused_run_is_asked_again_after_the_others_and_at_most_three_times() -> None:
    busy, stubborn, fine, gone = uuid4(), uuid4(), uuid4(), uuid4()
    calls: list[UUID] = []
    errors: dict[UUID, BaseException] = {}
    refusals = {busy: 1, stubborn: 99}

    async def label_once(run_id: UUID) -> None:
        calls.append(run_id)
        if calls.count(stubborn) == 3:
            labeller.close()  # the last request the test expects; serve ends once it has answered
        if run_id == gone:
            raise _refusal(404)
        if refusals.get(run_id, 0) >= calls.count(run_id):
            raise _refusal(503)

    labeller = RunLabeller(label_once, attempts=3, quiet_seconds=0.2,
                           on_error=lambda run_id, error: errors.setdefault(run_id, error))
    _serve(labeller, [busy, stubborn, fine, gone])

    assert calls[:4] == [busy, stubborn, fine, gone]  # one request each first, in order
    assert calls.count(busy) == 2 and calls.count(stubborn) == 3 and calls.count(fine) == 1
    assert calls.count(gone) == 1  # not busy: not asked again
    assert set(errors) == {gone, stubborn}  # reported once given up
    assert labeller.labelled == 2  # fine, and busy at its second request


def test_adding_after_close_is_a_run_without_labels_not_an_error() -> None:
    labeller = RunLabeller(lambda run_id: anyio.sleep(0))
    labeller.close()
    labeller.add(uuid4())
