"""``make demo``: the local stack in one command, and nothing left behind on Ctrl-C.

Starts a Prefect server on SQLite (UI on 127.0.0.1, telemetry off), the served
deployment (``tarjama serve``) and the review desk (with a ``demo`` reviewer
whose password is new each time), then hands the sample item to the
deployment. Unless ``TARJAMA_PROVIDERS`` says otherwise, the chain is the
default one (google, mymemory) with, last, the demo's placeholder provider
(:mod:`tarjama.mt.placeholder`), so the review loop can be walked end to end
on a machine without internet. Each child runs in its own process group so
that stopping the demo stops everything it started, the flow runs included.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from operations.prefect_db import seed_database
from operations.prefect_env import prefect_env
from tarjama.desk.reviewers import reviewers_file, save_reviewer
from tarjama.errors import TarjamaError
from tarjama.review.state import ReviewState
from tarjama.status import collect_status
from tarjama.workspace import Workspace

SAMPLE = "content/inbox/000_220f3de444a27c17.txt"
DEMO_REVIEWER = "demo"


class Child:
    """A started service: its own process group, its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        self._out = open(log, "ab")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(args, env=env, stdout=self._out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the whole group, then SIGKILL what is left after ``grace`` seconds."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=grace)
                _wait_group_gone(self.proc.pid, grace)
                break
            except subprocess.TimeoutExpired:
                continue
        self._out.close()


def _wait_group_gone(pgid: int, grace: float) -> None:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise subprocess.TimeoutExpired("process group", grace)


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_for(what: str, check, timeout: float, child: Child) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise TarjamaError(f"{child.name} stopped while starting; see {child.log}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TarjamaError(f"{what} did not come up within {timeout:.0f} s; see {child.log}")


def stack_env(workspace: Workspace, port: int) -> dict[str, str]:
    api = f"http://127.0.0.1:{port}/api"
    return {**prefect_env(workspace), **os.environ, "PREFECT_API_URL": api, "PREFECT_UI_API_URL": api,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def run_demo(workspace: Workspace, port: int = 4200, desk_port: int = 8800, item: str = SAMPLE, hold: bool = True) -> None:
    for wanted, option in ((port, "--port"), (desk_port, "--desk-port")):
        if not port_is_free(wanted):
            raise TarjamaError(f"port {wanted} is in use (another demo or server?); stop it or use {option}")
    env = stack_env(workspace, port)
    api = env["PREFECT_API_URL"]
    placeholder = "TARJAMA_PROVIDERS" not in env
    if placeholder:
        env["TARJAMA_PROVIDERS"] = "google,mymemory,placeholder"
    logs = workspace.prefect_home / "logs"
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    with ExitStack() as stack:
        try:
            print(f"starting the Prefect server on http://127.0.0.1:{port} (logs: {logs}) ...", flush=True)
            seed_database(workspace.prefect_home)  # a first demo: a migrated database, not ten seconds of migrations
            server = Child("Prefect server", [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                              "--port", str(port)], env, logs / "server.log")
            stack.callback(server.stop)
            probe = stack.enter_context(httpx.Client(timeout=2))  # one client for every look (certificates load once)
            wait_for("the Prefect server", lambda: probe.get(f"{api}/health").status_code == 200, 120, server)
            print("serving the translate-article deployment ...", flush=True)
            runner = Child("tarjama serve", [sys.executable, "-m", "cli", "serve", "--workspace", str(workspace.root)],
                           env, logs / "serve.log")
            stack.callback(runner.stop)
            wait_for("the served deployment", lambda: _deployment_ready(probe, api), 120, runner)
            password = secrets.token_urlsafe(9)
            save_reviewer(reviewers_file(workspace.root), DEMO_REVIEWER, ["fr", "en"], password)
            desk = Child("review desk", [sys.executable, "-m", "cli", "desk", "--port", str(desk_port),
                                         "--workspace", str(workspace.root)], env, logs / "desk.log")
            stack.callback(desk.stop)
            wait_for("the review desk", lambda: probe.get(f"http://127.0.0.1:{desk_port}/login").status_code == 200,
                     60, desk)
            print(f"handing {item} to the review loop ...", flush=True)
            subprocess.run([sys.executable, "-m", "cli", "translate", item, "--workspace", str(workspace.root)],
                           env=env, check=False, cwd=workspace.root)
            _banner(port, desk_port, password, placeholder, _sample_state(workspace))
            if not hold:
                return
            while server.alive() and runner.alive() and desk.alive():
                time.sleep(1)
            dead = next(child for child in (server, runner, desk) if not child.alive())
            raise TarjamaError(f"{dead.name} stopped unexpectedly; see {dead.log}")
        except KeyboardInterrupt:
            print("\nstopping the demo: server, runner and flow runs ...", flush=True)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    if stopping:
        print("stopped; nothing left running.", flush=True)


def _deployment_ready(probe: httpx.Client, api: str) -> bool:
    response = probe.get(f"{api}/deployments/name/translate-article/tarjama")
    return response.status_code == 200 and response.json().get("status") == "READY"


def _sample_state(workspace: Workspace) -> str:
    """"waiting" when a language of the sample waits for review, "published" when every one is published and
    unchanged, else "other": the banner says one true thing about it."""
    rows = [r for r in collect_status(workspace) if r.slug == Path(SAMPLE).stem]
    if any(r.awaits_decision for r in rows):
        return "waiting"
    if rows and all(r.review_state == ReviewState.PUBLISHED and "changed since" not in r.review for r in rows):
        return "published"
    return "other"


def _banner(port: int, desk_port: int, password: str, placeholder: bool, state: str = "waiting") -> None:
    slug = Path(SAMPLE).stem
    if state != "waiting":
        what = ("every language of the sample was approved and published before, and nothing changed since: "
                "nothing waits for review" if state == ReviewState.PUBLISHED else
                "the sample is not waiting for review (see `tarjama status`)")
        print(f"""
tarjama is running.
  Review desk:  http://127.0.0.1:{desk_port}   (log in as {DEMO_REVIEWER} / {password}; reviews fr and en)
  Prefect UI:   http://127.0.0.1:{port}
  {slug}: {what}.
  Published:    content/published/fr/, content/published/en/, content/published/ar/
Next: drop another Arabic item into content/inbox/ (it gets a run within seconds), or edit a segment of
  translations/{slug}/fr.po and run `tarjama translate {SAMPLE}` to review the change.
  `tarjama status` shows what waits for whom. Ctrl-C stops everything.
""", flush=True)
        return
    note = ("  MT:           google, then mymemory; where neither is reachable (no internet), the demo's placeholder\n"
            "                provider wrote stand-in drafts (\"[fr] ...\", transliterated Arabic) so that the loop can\n"
            "                be walked: replace them with real translations as you review.\n") if placeholder else ""
    print(f"""
tarjama is running.
  Review desk:  http://127.0.0.1:{desk_port}   (log in as {DEMO_REVIEWER} / {password}; reviews fr and en)
  Prefect UI:   http://127.0.0.1:{port}   (the run {slug} is Suspended: it waits for review)
  Drafts:       translations/{slug}/fr.po and en.po (open them in Poedit or any PO editor)
{note}Next:
  1. In the desk, correct each segment and save it as reviewed (Ctrl+Enter), then "Send for publication".
     Or: edit the .po files in any PO editor (clear fuzzy), then
     tarjama approve {slug} --lang fr --reviewer "Your Name"  (or Resume the run in the Prefect UI)
  2. Read the published versions in content/published/fr/, content/published/ar/ (HTML, Markdown, ninjs, feed.xml)
  `tarjama status` shows what waits for whom. Ctrl-C stops everything.
""", flush=True)
