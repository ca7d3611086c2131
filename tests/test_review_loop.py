"""The whole loop through a served deployment on a real Prefect server: drafts, suspension,
resume with a decision, publication, and no MT request after a resume."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import polib
import pytest

from tests.conftest import SAMPLE, make_workspace, settle

SLUG = "000_220f3de444a27c17"


@pytest.fixture(scope="module")
def loop(served, tmp_path_factory):
    """A workspace of its own for this module's runs, and the served deployment's LibreTranslate."""
    ws = make_workspace(tmp_path_factory.mktemp("loop") / "ws", SAMPLE.name, "slow-review.txt")
    served.reset()
    return ws, served


def clear_fuzzy(ws, lang: str, first_text: str | None = None) -> None:
    path = ws.catalog_path(SLUG, lang)
    po = polib.pofile(str(path))
    for entry in po:
        entry.flags = []
    if first_text:
        po[0].msgstr = first_text
    po.save(str(path))


def test_drafts_suspend_then_decisions_publish_languages_independently(loop) -> None:
    from flows.control import send_decision, start_run, waiting_runs

    ws, libre = loop
    run = start_run({"item_path": str(ws.inbox / SAMPLE.name), "targets": ["fr", "en"], "providers": ["libre"],
                     "workspace": str(ws.root)})
    run = settle(run.id)
    assert run.state.name == "Suspended", run.state
    assert run.name == SLUG
    assert len(libre.requests) == 8  # 4 segments x 2 languages, once

    waiting = waiting_runs(SLUG, ws)
    assert [r.id for r in waiting] == [run.id]
    refused = send_decision(ws, waiting[0], "fr", "approve", "Amina", "")
    assert refused.outcome == "refused" and "p1.s1: not reviewed (fuzzy)" in refused.blockers
    assert settle(run.id).state.name == "Suspended"

    changes = send_decision(ws, waiting_runs(SLUG, ws)[0], "en", "request_changes", "John", "check the law number")
    assert changes.outcome == "changes-requested"
    assert settle(run.id).state.name == "Suspended"

    clear_fuzzy(ws, "fr", "Texte corrigé par la traductrice.")
    approved = send_decision(ws, waiting_runs(SLUG, ws)[0], "fr", "approve", "Amina", "relu")
    assert approved.outcome == "approved"
    assert settle(run.id).state.name == "Suspended"  # English still waits
    fr_page = ws.published / "fr" / f"{SLUG}.html"
    assert "Texte corrigé par la traductrice." in fr_page.read_text(encoding="utf-8")
    assert (ws.published / "ar" / f"{SLUG}.html").exists() and not (ws.published / "en").exists()
    header = polib.pofile(str(ws.catalog_path(SLUG, "fr"))).metadata
    assert header["X-Tarjama-Approved-By"] == "Amina" and header["X-Tarjama-Review-Note"] == "relu"

    clear_fuzzy(ws, "en")
    done = send_decision(ws, waiting_runs(SLUG, ws)[0], "en", "approve", "John", "")
    assert done.outcome == "approved"
    final = settle(run.id)
    assert final.state.is_completed(), final.state
    assert (ws.published / "en" / f"{SLUG}.json").exists()
    assert 'hreflang="en"' in fr_page.read_text(encoding="utf-8")  # fr links to the new English version
    assert len(libre.requests) == 8  # no MT request after any resume

    from tarjama.review import read_events

    kinds = [(e["event"], e.get("lang"), e.get("outcome")) for e in read_events(ws, SLUG)]
    assert kinds == [("waiting", None, None), ("decision", "fr", "refused"), ("decision", "en", "changes-requested"),
                     ("decision", "fr", "approved"), ("published", "fr", None), ("decision", "en", "approved"),
                     ("published", "en", None)]


def test_review_timeout_fails_the_run_naming_the_waiting_languages(loop) -> None:
    from flows.control import start_run

    ws, _ = loop
    run = start_run({"item_path": str(ws.inbox / "slow-review.txt"), "targets": ["fr", "en"], "providers": ["libre"],
                     "workspace": str(ws.root), "review_timeout_hours": 3 / 3600})
    assert settle(run.id).state.name == "Suspended"
    deadline = time.monotonic() + 30
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        while (state := client.read_flow_run(run.id).state).name == "Suspended" and time.monotonic() < deadline:
            time.sleep(0.5)
    assert state.is_failed(), state
    assert "Review timed out" in state.message and "still waiting for: fr, en" in state.message


def test_cli_hands_the_item_to_the_review_loop_and_decides(loop, prefect_harness) -> None:
    ws, libre = loop
    item = ws.inbox / "cli-item.txt"
    shutil.copy(SAMPLE, item)
    env = {**os.environ, "PREFECT_API_URL": prefect_harness, "TARJAMA_LIBRE_URL": libre.url}

    def tarjama(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tarjama.cli", *args, "--workspace", str(ws.root)], env=env,
                              capture_output=True, text=True, timeout=180)

    started = tarjama("translate", str(item), "--provider", "libre")
    assert started.returncode == 0, started.stderr
    assert "started on the served deployment" in started.stdout and "run state: Suspended" in started.stdout
    assert "tarjama approve cli-item --lang fr" in started.stdout

    early = tarjama("approve", "cli-item", "--lang", "fr", "--reviewer", "Amina")
    assert early.returncode == 1 and "cannot approve cli-item fr: p1.s1: not reviewed (fuzzy)" in early.stderr
    assert early.stderr.count("\n") == 1

    path = ws.catalog_path("cli-item", "fr")
    po = polib.pofile(str(path))
    for entry in po:
        entry.flags = []
    po.save(str(path))
    approved = tarjama("approve", "cli-item", "--lang", "fr", "--reviewer", "Amina", "--note", "ok")
    assert approved.returncode == 0, approved.stderr
    assert "fr approved by Amina" in approved.stdout and "content/published/fr/cli-item.html" in approved.stdout

    asked = tarjama("request-changes", "cli-item", "--lang", "en", "--reviewer", "John", "--note", "names")
    assert asked.returncode == 0 and "en: changes requested by John (names)" in asked.stdout

    status = tarjama("status", "--json")
    rows = {(r["slug"], r["lang"]): r for r in __import__("json").loads(status.stdout)}
    assert rows[("cli-item", "fr")]["review"].startswith("approved by Amina")
    assert rows[("cli-item", "en")]["review"].startswith("waiting (changes requested) since")
    assert rows[("cli-item", "en")]["run_state"] == "Suspended"

    nothing = tarjama("approve", "no-such-item", "--lang", "fr", "--reviewer", "Amina")
    assert nothing.returncode == 2 and "no catalog" in nothing.stderr


def test_an_item_dropped_into_the_inbox_starts_a_run(served, served_workspace) -> None:
    from flows.control import waiting_runs

    ws = served_workspace
    time.sleep(2.5)  # the watcher's first look takes the inbox as it is
    (ws.inbox / "not-arabic.txt").write_text("Only English text here, no Arabic at all.", encoding="utf-8")
    shutil.copy(SAMPLE, ws.inbox / "dropped-item.txt")
    deadline = time.monotonic() + 90
    while not (runs := waiting_runs("dropped-item", ws)) and time.monotonic() < deadline:
        time.sleep(1)
    assert runs, (ws.root / "serve.log").read_text()
    assert polib.pofile(str(ws.catalog_path("dropped-item", "fr"))).percent_translated() == 0  # drafts are fuzzy
    assert len(polib.pofile(str(ws.catalog_path("dropped-item", "fr")))) == 4
    log = (ws.root / "serve.log").read_text()
    assert "not-arabic.txt: the text is not Arabic" in log
    assert not (ws.translations / "not-arabic").exists()
