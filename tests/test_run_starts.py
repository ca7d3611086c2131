"""Starting many items' runs at once (the inbox's burst): one bulk request, one run per item text, a failed run
replaced, a bulk refused for a write conflict asked again in small bulks, and a server without the bulk route
served one run at a time. Against a loopback server that answers
Prefect's routes as Prefect 3.9 does (the real server takes the same requests in the served-loop tests)."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import ThreadingHTTPServer
from typing import ClassVar

import pytest

from operations.handover import HANDOVER
from operations.run_api import LOCKED, REFUSED_BULK, RunApi
from operations.runs import ItemStart, start_item_runs
from tests.conftest import make_workspace
from tests.support.fake_service import JsonAnswers


class FakePrefect(JsonAnswers):
    runs: ClassVar[dict[str, dict]] = {}  # id -> run
    by_key: ClassVar[dict[str, str]] = {}  # idempotency key -> id
    bulk_route = True
    requests: ClassVar[list[str]] = []
    refusals: ClassVar[list[str]] = []  # the error of each bulk refused next, as a server words it for every run
    gate_closed: ClassVar[list[bool]] = []  # whether this process's handover gate was held at each bulk request

    def _create(self, body: dict) -> dict:
        key = body.get("idempotency_key")
        if key in self.by_key:
            return self.runs[self.by_key[key]]
        run = {"id": str(uuid.uuid4()), "name": body["name"], "parameters": body["parameters"],
               "state": {"type": "SCHEDULED", "name": "Scheduled"}}
        self.runs[run["id"]] = run
        if key:
            self.by_key[key] = run["id"]
        return run

    def do_GET(self) -> None:
        self.requests.append(f"GET {self.path}")
        if self.path.startswith("/api/csrf-token"):
            return self._answer(422, {})  # CSRF protection off
        return self._answer(200, {"id": "d-1", "name": "tarjama", "status": "READY"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.requests.append(f"POST {self.path}")
        if self.path.endswith("/create_flow_run/bulk"):
            if not self.bulk_route:
                return self._answer(404, {"detail": "Not Found"})
            self.gate_closed.append(HANDOVER.closed)
            if self.refusals:
                error = self.refusals.pop(0)
                return self._answer(200, {"results": [{"status": "FAILED", "error": error} for _ in body]})
            return self._answer(200, {"results": [{"flow_run_id": self._create(b)["id"], "status": "CREATED"}
                                                  for b in body]})
        if self.path.endswith("/create_flow_run"):
            return self._answer(201, self._create(body))
        if self.path.endswith("/flow_runs/filter"):
            wanted = body["flow_runs"]["id"]["any_"]
            return self._answer(200, [self.runs[i] for i in wanted if i in self.runs])
        return self._answer(404, {})



@pytest.fixture
def prefect_api():
    FakePrefect.runs, FakePrefect.by_key, FakePrefect.requests, FakePrefect.bulk_route = {}, {}, [], True
    FakePrefect.refusals, FakePrefect.gate_closed = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePrefect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with RunApi(f"http://127.0.0.1:{server.server_address[1]}/api") as api:
            yield api
    finally:
        server.shutdown()


def _starts(n: int) -> list[ItemStart]:
    return [ItemStart(f"content/inbox/item-{i}.txt", f"digest-{i}", {"request": {"item_path": f"item-{i}.txt"}},
                      f"item-{i}") for i in range(n)]


def test_a_burst_gets_its_runs_in_one_request_and_again_the_same_runs(prefect_api, tmp_path) -> None:
    ws = make_workspace(tmp_path / "ws")
    first = start_item_runs(prefect_api, ws, _starts(120))  # more than one bulk request holds (100)
    assert [run.name for run in first] == [f"item-{i}" for i in range(120)]
    assert sum(r.endswith("/bulk") for r in FakePrefect.requests) == 2
    assert not any(r.endswith("/create_flow_run") for r in FakePrefect.requests)
    again = start_item_runs(prefect_api, ws, _starts(120))  # the watcher looking again: no second run
    assert [run.id for run in again] == [run.id for run in first] and len(FakePrefect.runs) == 120


def test_an_item_whose_run_failed_gets_a_new_one_and_the_others_keep_theirs(prefect_api, tmp_path) -> None:
    ws = make_workspace(tmp_path / "ws")
    first = start_item_runs(prefect_api, ws, _starts(3))
    FakePrefect.runs[first[1].id]["state"] = {"type": "FAILED", "name": "Failed"}
    again = start_item_runs(prefect_api, ws, _starts(3))
    assert again[0].id == first[0].id and again[2].id == first[2].id
    assert again[1].id != first[1].id and again[1].state.type == "SCHEDULED" and len(FakePrefect.runs) == 4


def test_a_server_without_the_bulk_route_gets_one_request_a_run(prefect_api, tmp_path) -> None:
    FakePrefect.bulk_route = False
    ws = make_workspace(tmp_path / "ws")
    runs = start_item_runs(prefect_api, ws, _starts(3))
    assert [run.name for run in runs] == ["item-0", "item-1", "item-2"]
    assert sum(r.endswith("/create_flow_run") for r in FakePrefect.requests) == 3


SQLITE_LOCKED = f"(sqlite3.OperationalError) {LOCKED}\n[SQL: INSERT INTO flow_run_state ...]"


def test_a_bulk_refused_for_a_write_conflict_is_asked_again_in_small_bulks(prefect_api, tmp_path) -> None:
    ws = make_workspace(tmp_path / "ws")
    FakePrefect.refusals = [SQLITE_LOCKED, SQLITE_LOCKED]  # the whole hundred, then the first ten of them
    runs = start_item_runs(prefect_api, ws, _starts(100))
    assert [run.name for run in runs] == [f"item-{i}" for i in range(100)] and len(FakePrefect.runs) == 100
    bulks = sum(r.endswith("/bulk") for r in FakePrefect.requests)
    assert bulks == 1 + 100 // REFUSED_BULK + 1  # the hundred, ten tens, the refused ten again
    assert not any(r.endswith("/create_flow_run") for r in FakePrefect.requests)  # none one at a time
    assert all(FakePrefect.gate_closed)  # a worker of this process started none of them meanwhile
    assert not HANDOVER.closed


def test_a_bulk_refused_for_another_reason_is_not_asked_again_in_bulk(prefect_api, tmp_path) -> None:
    ws = make_workspace(tmp_path / "ws")
    FakePrefect.refusals = ["Parameter validation failed: 'request' is a required property"]
    runs = start_item_runs(prefect_api, ws, _starts(3))
    assert [run.name for run in runs] == ["item-0", "item-1", "item-2"]
    assert sum(r.endswith("/bulk") for r in FakePrefect.requests) == 1
    assert sum(r.endswith("/create_flow_run") for r in FakePrefect.requests) == 3  # each then says its own error
