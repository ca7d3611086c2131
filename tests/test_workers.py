"""The production topology for real: PostgreSQL, a Prefect server on it with basic authentication and CSRF
protection, `tarjama deploy`, warm workers, `tarjama watch` and `tarjama notify`, against loopback
LibreTranslate. Six items arrive at once (more than the pool runs at once); one worker's machine dies (SIGKILL
of its processes) while it drafts. Every item ends drafted and waiting for review with one run, the dead runs'
provider slots are given back, the provider quota holds across the workers, the chat webhook hears of every
waiting item, and approvals follow the channel rule."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import polib
import pytest

from operations.stack import Child
from tests.conftest import burst_item, free_port, make_workspace
from tests.support.chat import ChatWebhook
from tests.support.mt_servers import LoopbackMTServer
from tests.support.processes import descendants
from tests.support.topology import (
    cli,
    postgres,
    postgres_available,
    prefect_server,
    start_worker,
    topology_env,
)
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]
ITEMS = 6  # more than [workers] drafting (4): some wait for a slot while the first worker's die
QUOTA = 2  # LibreTranslate requests in flight, both workers together


def prefect_client(env: dict[str, str]):
    """A Prefect client of the topology's server (its URL and credentials), in this process."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    class Scoped:
        def __enter__(self):
            self._settings = temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"],
                                                 PREFECT_API_AUTH_STRING: env["PREFECT_API_AUTH_STRING"]})
            self._settings.__enter__()
            self._client = get_client(sync_client=True)
            return self._client.__enter__()

        def __exit__(self, *exc):
            self._client.__exit__(*exc)
            self._settings.__exit__(*exc)

    return Scoped()


def runs_by_item(client) -> dict[str, list]:
    runs = client.read_flow_runs(limit=200)
    found: dict[str, list] = {}
    for run in runs:
        found.setdefault(run.name, []).append(run)
    return found


def test_workers_on_postgres_survive_a_dead_worker_and_share_the_quota(tmp_path: Path) -> None:
    assert postgres_available(), "PostgreSQL is missing: run ./scripts/system-deps (it installs Debian's postgresql)"
    ws = make_workspace(tmp_path / "shared" / "ws")
    logs = tmp_path / "logs"
    (ws.root / "tarjama.toml").write_text(
        f"providers = [\"libre\"]\n[libre]\nmax_in_flight = {QUOTA}\n[mt]\ntimeout = 20\n"
        "[workers]\ndrafting = 4\nheartbeat_seconds = 30\nrestart_after_seconds = 90\n"
        "[inbox]\nwatch_seconds = 1\n[review]\nwatch_seconds = 1\n", encoding="utf-8")  # [review] last: see below
    with postgres() as database, LoopbackMTServer("libre", latency=0.3) as libre, ChatWebhook() as chat:
        env = {**topology_env(tmp_path / "prefect-home", free_port(), database, poll=None), "TARJAMA_LIBRE_URL": libre.url}
        with prefect_server(env, logs):
            deployed = cli(env, "deploy", "--workspace", str(ws.root))
            assert deployed.returncode == 0, deployed.stderr
            assert f"tarjama-mt-libre: {QUOTA} request(s) in flight" in deployed.stdout
            assert "reschedule runs whose worker stopped': created" in deployed.stdout
            again = cli(env, "deploy", "--workspace", str(ws.root))
            assert "reschedule runs whose worker stopped': unchanged" in again.stdout  # idempotent
            notified = cli(env, "notify", "--webhook", chat.base + "/hooks/newsroom", "--workspace", str(ws.root))
            assert notified.returncode == 0, notified.stderr
            assert chat.base not in notified.stdout  # the webhook URL is a secret: never printed

            for n in range(ITEMS):
                (ws.inbox / f"dispatch-{n}.txt").write_text(burst_item(100 + n), encoding="utf-8")
            doomed = start_worker(env, logs, "doomed")
            watch = Child("tarjama watch", [sys.executable, "-m", "cli", "watch", "--workspace", str(ws.root)],
                          env, logs / "watch.log")
            workers = [doomed]
            try:
                # the doomed worker's runs are drafting (LibreTranslate has been asked): its machine dies now
                wait_for(lambda: len(libre.requests) >= 3, 180, "the first worker's runs to start drafting")
                # everything on that machine at once: the runs' processes (forked by the worker's fork server)
                # and the fork server first, so that none lives to report anything, then the worker
                machine = descendants(doomed.proc.pid)
                assert len(machine) >= 2, f"the first worker has no flow-run process to lose: {machine}"
                for pid in machine:
                    os.kill(pid, signal.SIGKILL)
                os.killpg(doomed.proc.pid, signal.SIGKILL)
                doomed.proc.wait()
                workers += [start_worker(env, logs, "survivor"), start_worker(env, logs, "helper")]

                with prefect_client(env) as client:  # one client for every look (each new one loads certificates)
                    def all_waiting() -> bool:
                        runs = runs_by_item(client)
                        return len(runs) == ITEMS and all(
                            r.state and r.state.name == "Suspended" for found in runs.values() for r in found)

                    # the silent runs hold their pool slots until the heartbeat automation reschedules them (90 s of
                    # silence: three heartbeats), and their provider slots until then (see the README)
                    wait_for(all_waiting, 1080, "every item's run to be drafted and suspended for review", every=2)
                    runs = runs_by_item(client)
                    states = {name: client.read_flow_run_states(found[0].id) for name, found in runs.items()}
                assert sorted(runs) == sorted(f"dispatch-{n}" for n in range(ITEMS))
                assert all(len(found) == 1 for found in runs.values()), "an item got two runs"
                histories = {name: [s.name for s in found] for name, found in states.items()}
                rescheduled = [name for name, names in histories.items() if "Rescheduled" in names]
                assert rescheduled, f"no run was rescheduled after the worker died: {histories}"
                why = {s.message for found in states.values() for s in found if s.name == "Rescheduled"}
                assert any("no heartbeat" in (message or "") for message in why), why  # the silence was noticed
                for n in range(ITEMS):
                    for lang in ("fr", "en"):
                        po = polib.pofile(str(ws.catalog_path(f"dispatch-{n}", lang)))
                        assert len(po) == 4 and all(e.msgstr and e.fuzzy for e in po), f"dispatch-{n} {lang}"
                # one run per item in the review log too: a rescheduled run is the same run, replayed
                from tarjama.review.events import RunStarted, read

                assert all(len({e.run_id for e in read(ws, f"dispatch-{n}") if isinstance(e, RunStarted)}) == 1
                           for n in range(ITEMS))
                assert libre.max_in_flight <= QUOTA, f"{libre.max_in_flight} requests in flight, quota {QUOTA}"
                # the dead runs' LibreTranslate slots were given back when they were rescheduled (by the watcher,
                # or by the run's new process if it started first), not left to their leases; none is left held
                given_back = [line for log in logs.glob("*.log") for line in log.read_text(errors="replace").splitlines()
                              if "provider slot(s)" in line and "given back" in line]
                assert given_back, "no provider slot of a dead run was given back"
                from flows.quotas import held_slots  # imports Prefect: only here, not when the unit tier collects

                assert held_slots(ws.state_dir) == []

                wait_for(lambda: {f"dispatch-{n}" for n in range(ITEMS)} <= {
                    t.split(" ", 1)[0] for t in chat.texts() if "waits for review" in t},
                         120, "the chat webhook to hear of every waiting item")
                assert all(r["path"] == "/hooks/newsroom" for r in chat.requests)
                _the_other_notifications_reach_the_chat(ws, env, chat)

                _approvals_follow_the_channel_rule(ws, env, chat)
            finally:
                watch.stop()
                for worker in workers:
                    worker.stop()


EMIT = """
import sys
from pathlib import Path
from prefect.events.worker import EventsWorker
from flows.events import Milestone, emit_milestone
from tarjama.settings import load_settings
from tarjama.workspace import Workspace
settings = load_settings(Workspace(Path(sys.argv[1])).config_file)
assert emit_milestone(Milestone.OVERDUE, settings, "dispatch-1", ["en"], "dispatch-1: review overdue")
assert emit_milestone(Milestone.PUBLICATION_FAILED, settings, "dispatch-2", ["fr"], "dispatch-2 fr: publication failed")
assert emit_milestone(Milestone.REMINDER, settings, "dispatch-3", ["fr"], "dispatch-3: review due in 59 min")
assert emit_milestone(Milestone.CHANGES_REQUESTED, settings, "dispatch-4", ["en"], "dispatch-4 en: changes requested")
EventsWorker.drain_all()
"""


def _the_other_notifications_reach_the_chat(ws, env: dict[str, str], chat: ChatWebhook) -> None:
    """Overdue reviews, failed publications, reminders and requests for changes: the same events as the watcher
    and the runs emit them."""
    import subprocess

    emitted = subprocess.run([sys.executable, "-c", EMIT, str(ws.root)], env=env, capture_output=True, text=True,
                             timeout=120)
    assert emitted.returncode == 0, emitted.stderr

    names = {"tarjama.review.overdue", "tarjama.publication.failed", "tarjama.review.reminder",
             "tarjama.review.changes-requested"}  # the wire names automations match on

    with prefect_client(env) as client:
        def recorded() -> bool:  # first the server has them (else the emitter's stderr says why not)...
            found = client.request("POST", "/events/filter", json={
                "filter": {"event": {"name": sorted(names)}},
                "limit": 10}).json()["events"]
            return {e["event"] for e in found} == names

        wait_for(recorded, 60, f"the server to record the events; the emitter said: {emitted.stderr[-2000:]}")
    wanted = ("dispatch-1: review overdue", "dispatch-2 fr: publication failed", "dispatch-3: review due in 59 min",
              "dispatch-4 en: changes requested")
    wait_for(lambda: all(any(t.startswith(w) for t in chat.texts()) for w in wanted), 180,  # ...then the automations
             "the chat webhook to hear of the overdue review, the failed publication, the reminder and the changes")
    assert any("http://127.0.0.1:8800/review/dispatch-1/en" in t for t in chat.texts())  # the desk link goes along


def _approvals_follow_the_channel_rule(ws, env: dict[str, str], chat: ChatWebhook) -> None:
    slug = "dispatch-0"
    for lang in ("fr", "en"):
        path = ws.catalog_path(slug, lang)
        po = polib.pofile(str(path))
        for entry in po:
            entry.flags = []
        po.save(str(path))
    approved = cli(env, "approve", slug, "--lang", "fr", "--reviewer", "Amina", "--workspace", str(ws.root))
    assert approved.returncode == 0, approved.stderr
    published = Path(ws.root, "content", "published", "fr", f"{slug}.html")
    assert f"published: content/published/fr/{slug}.html" in approved.stdout and published.exists()
    wait_for(lambda: any(t.startswith(f"{slug} fr: published version 1 ") and f"/fr/{slug}.html" in t
                         for t in chat.texts()), 180, "the chat webhook to hear of the publication, with its page")
    status = cli(env, "status", "--workspace", str(ws.root))
    assert "approved by Amina (cli, not verified)" in status.stdout
    wanted = {"tarjama.review.waiting", "tarjama.review.decided", "tarjama.published"}

    with prefect_client(env) as client:
        def milestones() -> list[dict] | None:  # the run's events reach the Event Feed after approve has returned
            found = client.request("POST", "/events/filter", json={
                "filter": {"event": {"prefix": ["tarjama."]}, "resource": {"id": [f"tarjama.item.{slug}"]}},
                "limit": 50}).json()["events"]
            return found if wanted <= {e["event"] for e in found} else None

        found = wait_for(milestones, 60, "the milestones in the Event Feed, about the item")
    decided = next(e for e in found if e["event"] == "tarjama.review.decided")
    assert (decided["payload"]["channel"], decided["payload"]["outcome"]) == ("cli", "approved")
    assert decided["resource"]["tarjama.languages"] == "fr"

    config = ws.root / "tarjama.toml"
    config.write_text(config.read_text(encoding="utf-8") + "require_authenticated = true\n", encoding="utf-8")
    refused = cli(env, "approve", slug, "--lang", "en", "--reviewer", "Amina", "--workspace", str(ws.root))
    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0 and "review.require_authenticated" in refused.stderr
    assert not Path(ws.root, "content", "published", "en", f"{slug}.html").exists()

