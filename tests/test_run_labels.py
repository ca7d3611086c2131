"""The warm worker's labels on its runs: one request each, a busy server's refusal asked again once the burst is
over (at most three times), anything else given up at once; and a forked run's logging configuration loaded
once by the fork server, loaded again when a run's logging settings differ."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import anyio
import httpx
import pytest

from operations.run_labels import RunLabeller

pytestmark = pytest.mark.prefect_objects  # the logging test imports Prefect


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


@pytest.mark.parametrize("variable", ["PREFECT_LOGGING_LEVEL", "PREFECT_LOGGING_HANDLERS_API_LEVEL"])
def test_logging_configuration_is_loaded_again_only_when_a_logging_setting_differs(
        monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    import prefect.context

    from operations.warm_worker import remembered_logging_config

    loads: list[Path] = []

    def load(path: Path) -> dict:
        loads.append(path)
        return {"version": 1, "handlers": {"console": {"class": "logging.StreamHandler"}}}

    remembered = remembered_logging_config(load)
    path = Path("logging.yml")
    first = remembered(path)
    first["handlers"]["console"].pop("class")  # as dictConfig does with what it is given
    assert remembered(path)["handlers"]["console"] == {"class": "logging.StreamHandler"}  # a copy each time
    assert len(loads) == 1
    monkeypatch.setenv(variable, "DEBUG")
    prefect.context.refresh_global_settings_context()
    try:
        remembered(path)
        assert len(loads) == 2
    finally:
        monkeypatch.delenv(variable)
        prefect.context.refresh_global_settings_context()
