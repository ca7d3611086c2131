"""`tarjama usage` counts every request a run sent, also when the run's process was killed mid-draft, and a run
started again counts as well: the provider bills both."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tarjama.context import Context
from tarjama.drafting import draft_item, draft_language, write_drafts
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.usage_log import IN_FLIGHT, summarise_usage
from tests.conftest import REPO, make_workspace, settings_for
from tests.support.mt_servers import HANG, OK, LoopbackMTServer
from tests.support.waiting import wait_for

ITEM = "usage-item.txt"
DRAFT = """
import sys
from pathlib import Path
from tarjama.context import Context
from tarjama.drafting import draft_item
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.workspace import Workspace
from tests.conftest import settings_for
ws = Workspace(Path(sys.argv[1]))
engine = MTEngine(settings_for(("libre", sys.argv[2]), timeout=60, concurrency=1, attempts=1))
draft_item(Context.load(ws), load_item(ws.inbox / "usage-item.txt", ws), ["fr"], engine, run_id="run-1")
"""


def libre_requests(ws) -> int:
    return sum(u.requests for (provider, lang), u in summarise_usage(ws).totals.items() if provider == "libre")


def test_a_killed_runs_requests_are_counted_and_its_new_attempt_too(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", ITEM)
    with LoopbackMTServer("libre", hang_seconds=120) as libre:
        libre.script.extend([OK, OK, HANG])  # the third request is in flight when the machine dies
        child = subprocess.Popen([sys.executable, "-c", DRAFT, str(ws.root), libre.url], cwd=REPO,
                                 env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: len(libre.requests) == 3 or child.poll() is not None, 120, "the third request to arrive")
            assert child.poll() is None, child.stderr.read().decode()
        finally:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        assert not ws.catalog_path("usage-item", "fr").exists(), "killed before it wrote its drafts"
        assert libre_requests(ws) == 3  # sent, the one in flight included
        assert len(list((ws.state_dir / IN_FLIGHT).iterdir())) == 1

        libre.reset()
        ctx = Context.load(ws)
        draft_item(ctx, load_item(ws.inbox / ITEM, ws), ["fr"], MTEngine(settings_for(libre)), run_id="run-1")
        again = len(libre.requests)
        assert again > 3 and libre_requests(ws) == 3 + again  # the run started again: a new attempt, billed too
        lines = [json.loads(line) for line in (ws.state_dir / "usage.jsonl").read_text().splitlines()]
        assert len({line["attempt"] for line in lines}) == 1 and all(line["run"] == "run-1" for line in lines)


def test_drafts_written_from_a_saved_result_count_once(tmp_path: Path) -> None:
    """A run that replays after translating (its drafts kept as the task's result) writes them with the attempt
    that made them: the record replaces that attempt's checkpoint instead of adding to it."""
    ws = make_workspace(tmp_path / "ws", ITEM)
    ctx = Context.load(ws)
    item = load_item(ws.inbox / ITEM, ws)
    with LoopbackMTServer("libre") as libre:
        engine = MTEngine(settings_for(libre))
        drafted = draft_language(ctx, item, "fr", engine, run_id="run-2")
        sent = len(libre.requests)
    assert sent > 0 and libre_requests(ws) == sent  # the checkpoint, before anything is written
    write_drafts(ctx, item, {"fr": drafted}, engine.settings.chain, "run-2")
    assert libre_requests(ws) == sent and not list((ws.state_dir / IN_FLIGHT).iterdir())
    write_drafts(ctx, item, {"fr": drafted}, engine.settings.chain, "run-2")  # a retried write: still once
    assert libre_requests(ws) == sent
