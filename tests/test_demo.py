"""`make demo`'s stack: a real Prefect server, the served deployment and a run of the sample item;
clearing fuzzy and approving both languages publishes them; Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time

import httpx
import polib
import pytest

from tests.conftest import REPO, free_port
from tests.support.processes import processes_mentioning
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

SLUG = "000_220f3de444a27c17"



def read_until(proc: subprocess.Popen, marker: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, f"no {marker!r} after {timeout} s:\n{seen}"
        assert proc.poll() is None, f"demo exited early:\n{seen}"
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready:
            seen += os.read(proc.stdout.fileno(), 65536).decode("utf-8", "replace")
    return seen


def test_demo_brings_up_the_loop_publishes_on_approval_and_stops_cleanly(workspace) -> None:
    port, desk_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["TARJAMA_MT_BACKOFF"] = "0.05"
    demo = subprocess.Popen([sys.executable, "-m", "cli", "demo", "--port", str(port), "--desk-port", str(desk_port), "--workspace",
                             str(workspace.root)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output = read_until(demo, "Ctrl-C stops everything", 240)
        assert f"http://127.0.0.1:{port}" in output and "run state: Suspended" in output
        password = re.search(r"log in as demo / (\S+);", output).group(1)
        desk = httpx.Client(base_url=f"http://127.0.0.1:{desk_port}")
        login = desk.get("/login").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', login).group(1)
        queue = desk.post("/login", data={"name": "demo", "password": password, "csrf": csrf}, follow_redirects=True)
        assert f'href="/review/{SLUG}/fr"' in queue.text and f'href="/review/{SLUG}/en"' in queue.text

        api_env = {**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
        for lang in ("fr", "en"):
            path = workspace.catalog_path(SLUG, lang)
            po = polib.pofile(str(path))
            assert all(e.msgstr for e in po)  # the placeholder stand-in drafted every segment
            for entry in po:
                entry.flags = []
            po.save(str(path))
            approved = subprocess.run([sys.executable, "-m", "cli", "approve", SLUG, "--lang", lang,
                                       "--reviewer", "Demo Reviewer", "--workspace", str(workspace.root)],
                                      env=api_env, capture_output=True, text=True, timeout=180)
            assert approved.returncode == 0, approved.stdout + approved.stderr
            assert f"published: content/published/{lang}/{SLUG}.html" in approved.stdout
        for lang in ("fr", "en", "ar"):
            folder = workspace.published / lang
            assert {f"{SLUG}.html", f"{SLUG}.md", f"{SLUG}.json", "index.html", "feed.xml"} <= {p.name for p in folder.iterdir()}
    finally:
        demo.send_signal(signal.SIGINT)
        rest = demo.communicate(timeout=60)[0].decode("utf-8", "replace")
    assert "nothing left running" in rest
    wait_for(lambda: not processes_mentioning(str(workspace.root)), 30, "every process of the demo to exit")
    assert processes_mentioning(f"--port {port}") == [] and processes_mentioning(f"--port {desk_port}") == []

    # restarted: the sample is published and unchanged, and the demo says that one true thing
    again = subprocess.Popen([sys.executable, "-m", "cli", "demo", "--port", str(port), "--desk-port", str(desk_port),
                              "--workspace", str(workspace.root)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    try:
        output = read_until(again, "Ctrl-C stops everything", 240)
    finally:
        again.send_signal(signal.SIGINT)
        again.communicate(timeout=60)
    assert "already published, no new decision needed" in output and "nothing waits for review" in output
    assert "waits for review" not in output.replace("nothing waits for review", "")
    assert "tarjama approve" not in output
