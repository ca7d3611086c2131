"""Load test: a burst of items through the production topology and through `tarjama serve`, side by side.

For each topology, in one run:

* **workers**: PostgreSQL (Debian's package, a throwaway server), a Prefect server on it with basic
  authentication, `tarjama deploy`, two workers of the pool, `tarjama watch`;
* **serve**: a Prefect server on SQLite and `tarjama serve` (one worker in its process, ``[serve] limit``).

Runs start as ``--execution`` says (``[workers] execution``: warm, the default, or process).

Both against loopback LibreTranslate with 50 ms latency. N items (200 by default) are dropped into the
inbox at once; measured: the time until every run is drafted and Suspended (none lost, no item with two
runs), the orchestration overhead per item above the MT time (the bound: requests x latency / requests
in flight), the CPU each part used meanwhile (the server, the runners, this process: the MT stand-in and the
watching, the rest), the peak memory (RSS) of the server and of the runners (workers with their flow-run
processes, or serve). Then every item's French is approved by 4 concurrent reviewers (2 through the CLI,
2 through the review desk over HTTP): every language published once, no decision lost, the time for all.

Run: .venv/bin/python -m benchmarks.bench_workers --items 200 [--execution process]   (make bench: fewer items)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import polib

from operations.stack import Child
from tarjama.desk.reviewers import save_reviewer
from tarjama.review.events import Published, RunStarted, read
from tests.conftest import burst_item, free_port, make_workspace
from tests.support.mt_servers import LoopbackMTServer
from tests.support.topology import cli, postgres, prefect_server, start_worker, topology_env

LATENCY = 0.05
SEGMENTS_PER_ITEM = 4
PASSWORD = "bench-password-1"


class PeakRSS:
    """Samples the resident memory of process groups (a runner and the flow-run processes it starts)."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.peak = dict.fromkeys(groups, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss_by_group() -> dict[int, int]:
        """Resident bytes of every process group."""
        return {group: rss for group, (rss, _) in usage_by_group().items()}

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            totals = self._rss_by_group()
            for name, pgids in self.groups.items():
                self.peak[name] = max(self.peak[name], sum(totals.get(pgid, 0) for pgid in pgids))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def usage_by_group() -> dict[int, tuple[int, float]]:
    """Resident bytes and CPU seconds so far (a process's own and its ended children's) of every process group,
    from one pass over /proc."""
    page, ticks = os.sysconf("SC_PAGE_SIZE"), os.sysconf("SC_CLK_TCK")
    totals: dict[int, tuple[int, float]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            group = int(fields[2])  # field 5 of stat: the process group
            rss, cpu = totals.get(group, (0, 0.0))
            totals[group] = (rss + int(fields[21]) * page,  # field 24: rss in pages
                             cpu + sum(int(f) for f in fields[11:15]) / ticks)  # fields 14-17: utime..cstime
        except (OSError, IndexError, ValueError):
            continue
    return totals


def cpu_seconds(groups: dict[str, list[int]]) -> dict[str, float]:
    """CPU used so far by each group of process groups (a worker's forked runs are in its group and reaped by its
    fork server), by this process (the MT stand-in, the watching) and by the whole machine."""
    by_group = usage_by_group()
    with open("/proc/stat") as stat:
        times = [int(f) for f in stat.readline().split()[1:]]
    own = os.times()
    used = {name: sum(by_group.get(pgid, (0, 0.0))[1] for pgid in pgids) for name, pgids in groups.items()}
    busy = sum(times[:8]) - times[3] - times[4]  # all but idle and iowait, in clock ticks
    return {**used, "bench": own.user + own.system, "machine": busy / os.sysconf("SC_CLK_TCK")}


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU-s per part during the burst; ``rest`` is PostgreSQL, ``tarjama watch`` and the system."""
    used = {name: round(after[name] - before[name], 1) for name in after}
    used["rest"] = round(used["machine"] - sum(v for k, v in used.items() if k != "machine"), 1)
    return used


def api_headers(env: dict[str, str]) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(env["PREFECT_API_AUTH_STRING"].encode()).decode()}


def flow_runs(env: dict[str, str]) -> list:
    with api_client(env) as client:
        runs, offset = [], 0
        while True:
            page = client.read_flow_runs(limit=200, offset=offset)
            runs += page
            offset += len(page)
            if len(page) < 200:
                return runs


@contextlib.contextmanager
def api_client(env: dict[str, str]) -> Iterator:
    """One Prefect client for the topology's API, held open while a burst is watched."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"],
                             PREFECT_API_AUTH_STRING: env["PREFECT_API_AUTH_STRING"]}), \
            get_client(sync_client=True) as client:
        yield client


def settled_count(client) -> int:
    """How many runs stopped moving (Suspended at the review gate, or failed, crashed, cancelled, completed): one
    count a poll on one client held open, so that watching a burst loads neither the machine nor the server it
    measures. A new client and two counts each second cost the bench 58 ms of CPU a poll, and the server a CSRF
    handshake (a token written to its database) and two requests checked against it."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    stopped = [StateType.PAUSED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED, StateType.COMPLETED]
    return client.count_flow_runs(flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
        type=FlowRunFilterStateType(any_=stopped))))


def desk_login(base: str, name: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=900)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").text).group(1)
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf})
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)
    return client, csrf


def approve_all(ws, env: dict[str, str], slugs: list[str], logs: Path) -> dict:
    """4 reviewers at once, each with a quarter of the items: 2 through the CLI, 2 through the desk."""
    for slug in slugs:  # the translators' work, done beforehand: every segment reviewed
        path = ws.catalog_path(slug, "fr")
        po = polib.pofile(str(path))
        for entry in po:
            entry.flags = []
        po.save(str(path))
    names = ["cli-1", "cli-2", "desk-1", "desk-2"]
    for name in names[2:]:
        save_reviewer(ws.root / "reviewers.toml", name, ["fr"], PASSWORD)
    port = free_port()
    desk = Child("desk", [sys.executable, "-m", "cli", "desk", "--port", str(port), "--workspace", str(ws.root)],
                 env, logs / "desk.log")
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    failures: list[str] = []

    def reviewer(index: int) -> None:
        name = names[index]
        mine = slugs[index::4]
        session = desk_login(base, name) if name.startswith("desk") else None
        for slug in mine:
            if session is None:
                done = cli(env, "approve", slug, "--lang", "fr", "--reviewer", name, "--wait", "900",
                           "--workspace", str(ws.root), timeout=1000)
                if done.returncode != 0:
                    failures.append(f"{slug}: {done.stderr.strip()[:200]}")
            else:
                client, csrf = session
                answer = client.post(f"/review/{slug}/fr/decision", data={"decision": "approve", "csrf": csrf},
                                     headers={"X-CSRF-Token": csrf})
                if answer.status_code != 200:
                    failures.append(f"{slug}: desk answered {answer.status_code}")

    started = time.perf_counter()
    threads = [threading.Thread(target=reviewer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    desk.stop()
    published = {slug: sum(isinstance(e, Published) and e.lang == "fr" for e in read(ws, slug)) for slug in slugs}
    files = sum(Path(ws.root, "content", "published", "fr", f"{slug}.html").exists() for slug in slugs)
    return {"approvals_s": round(elapsed, 1), "approval_failures": failures[:5], "failed_approvals": len(failures),
            "published_once": sum(n == 1 for n in published.values()), "published_twice": sum(n > 1 for n in published.values()),
            "published_files": files}


def run(topology: str, items: int, root: Path, approve: bool = True, execution: str = "warm") -> dict:
    ws = make_workspace(root / "ws")
    logs = root / "logs"
    (ws.root / "tarjama.toml").write_text(
        f"providers = [\"libre\"]\n[mt]\ntimeout = 30\n[workers]\ndrafting = 4\nexecution = \"{execution}\"\n[serve]\nlimit = 4\n"
        "[inbox]\nwatch_seconds = 1\n[review]\nwatch_seconds = 2\n", encoding="utf-8")
    with LoopbackMTServer("libre", latency=LATENCY) as libre, \
            running_stack(topology, ws, root, libre.url) as (env, server, runners):
        groups = {"server": [server.proc.pid], "runners": [r.proc.pid for r in runners]}
        with PeakRSS(groups) as rss:
            slugs = [f"load-{n:03d}" for n in range(items)]
            cpu_before = cpu_seconds(groups)
            started = time.perf_counter()
            for n, slug in enumerate(slugs):
                (ws.inbox / f"{slug}.txt").write_text(burst_item(1000 + n), encoding="utf-8")
            with api_client(env) as client:
                while settled_count(client) < items:
                    time.sleep(1)
            drafted_s = time.perf_counter() - started
            cpu = cpu_used(cpu_before, cpu_seconds(groups))
            runs = flow_runs(env)
            suspended = [r for r in runs if r.state and r.state.name == "Suspended"]
            names = [r.name for r in runs]
            result = {
                "topology": topology, "execution": execution, "items": items, "suspended": len(suspended), "runs": len(runs),
                "items_with_two_runs": sum(names.count(s) > 1 for s in set(names)),
                "items_with_two_run_ids_in_log": sum(
                    len({e.run_id for e in read(ws, s) if isinstance(e, RunStarted)}) > 1 for s in slugs),
                "not_ok": [f"{r.name}: {r.state.name}" for r in runs if r.state and r.state.name != "Suspended"][:5],
                "drafted_s": round(drafted_s, 1), "mt_requests": len(libre.requests),
            }
            bound = len(libre.requests) * LATENCY / (4 * 2 * 4)  # 4 runs x 2 languages x 4 sentences in flight
            result["mt_bound_s"] = round(bound, 1)
            result["overhead_per_item_s"] = round((drafted_s - bound) / items, 2)
            result["burst_cpu_s"] = cpu
            if approve:
                result.update(approve_all(ws, env, slugs, logs))
        result["peak_rss_server_mb"] = round(rss.peak["server"] / 2**20)
        result["peak_rss_runners_mb"] = round(rss.peak["runners"] / 2**20)
    return result


@contextlib.contextmanager
def running_stack(topology: str, ws, root: Path, libre_url: str) -> Iterator[tuple[dict[str, str], Child, list[Child]]]:
    """The topology, up and its deployment READY until the block ends: ``workers`` (PostgreSQL, a Prefect server
    on it with basic authentication, ``tarjama deploy``, two workers, ``tarjama watch``) or ``serve`` (a Prefect
    server on SQLite and ``tarjama serve``); the environment that reaches them, the server, the runners."""
    logs = root / "logs"
    with postgres() if topology == "workers" else contextlib.nullcontext() as database:
        # Prefect's own poll interval (10 s; serve sets its own): what an operator runs, events wake the workers
        env = {**topology_env(root / "prefect-home", free_port(), database, poll=None), "TARJAMA_LIBRE_URL": libre_url}
        env.pop("PREFECT_LOGGING_TO_API_BATCH_INTERVAL")  # Prefect's own (2 s), as an operator runs it; tests take 1 s
        with prefect_server(env, logs) as server:
            runners: list[Child] = []
            try:
                if topology == "workers":
                    assert cli(env, "deploy", "--workspace", str(ws.root)).returncode == 0
                    runners = [start_worker(env, logs, f"w{n}") for n in (1, 2)]
                    runners.append(Child("watch", [sys.executable, "-m", "cli", "watch", "--workspace", str(ws.root)],
                                         env, logs / "watch.log"))
                else:
                    runners.append(Child("serve", [sys.executable, "-m", "cli", "serve", "--workspace", str(ws.root)],
                                         env, logs / "serve.log"))
                ready = f"{env['PREFECT_API_URL']}/deployments/name/translate-article/tarjama"
                while httpx.get(ready, headers=api_headers(env), timeout=5).json().get("status") != "READY":
                    time.sleep(0.5)
                yield env, server, runners
            finally:
                for runner in runners:
                    runner.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--only", choices=["workers", "serve"])
    parser.add_argument("--no-approvals", action="store_true", help="measure the burst only")
    parser.add_argument("--execution", choices=["warm", "process"], default="warm", help="how runs start")
    args = parser.parse_args(argv)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    results = []
    for topology in ([args.only] if args.only else ["workers", "serve"]):
        with tempfile.TemporaryDirectory(prefix=f"tarjama-load-{topology}-") as tmp:
            result = run(topology, args.items, Path(tmp), approve=not args.no_approvals, execution=args.execution)
        print(json.dumps(result), flush=True)
        results.append(result)
    ok = all(r["suspended"] == r["items"] and not r["items_with_two_runs"]
             and (args.no_approvals or (r["published_once"] == r["items"] and not r["published_twice"]))
             for r in results)
    done = "drafted once and suspended" + ("" if args.no_approvals else ", approved and published once")
    print(f"PASS: every item {done}" if ok else "FAIL: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
