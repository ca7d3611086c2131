"""How fast a run starts and wakes: warm starts against Prefect's process per run, side by side, in one run.

On both topologies side by side (``tarjama serve``: a Prefect server on SQLite; ``workers``: PostgreSQL, a Prefect
server on it with authentication, two workers and ``tarjama watch``), runs started as ``--execution`` says
(``[workers] execution``: ``warm``, the default, or ``process``), loopback LibreTranslate answering at once, N items
one at a time:

- **to review**: from the item landing in ``content/inbox/`` to its run Suspended (waiting for review), with
  the part of it the flow's own work takes (Running to Suspended: the floor, what the same run costs in a
  process already started) and the rest (orchestration: the inbox watcher, the server, the worker's poll,
  the run's process start);
- **approval**: ``tarjama approve`` as a reviewer types it, from its start to the server resuming the run (the
  command's part: start-up, precheck, the request recorded, the wake-up), to the run running again (a worker's
  part), to the outcome in the review log (recorded), to the published files (published) and to its exit
  (returned).

p50 and p95 of each. The time to Suspended is read from the server's state timestamps (no polling error).

Run: .venv/bin/python -m benchmarks.bench_start [--items 20] [--only serve|workers] [--execution process]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polib

from benchmarks.bench_workers import flow_runs, running_stack
from tarjama.review.events import DecisionMade, Published, read
from tarjama.workspace import Workspace
from tests.conftest import burst_item, make_workspace
from tests.support.mt_servers import LoopbackMTServer
from tests.support.waiting import wait_for
from tests.test_workers import prefect_client


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def reviewed(ws: Workspace, slug: str, lang: str) -> None:
    """The catalog as a translator leaves it: every segment reviewed (fuzzy cleared)."""
    path = ws.catalog_path(slug, lang)
    po = polib.pofile(str(path))
    for entry in po:
        entry.flags = []
    po.save(str(path))


def _states(env: dict[str, str], name: str) -> dict[str, dt.datetime] | None:
    """The first time the item's run entered each state, once it is Suspended."""
    runs = [r for r in flow_runs(env) if r.name == name]
    if not runs or not (runs[0].state and runs[0].state.name == "Suspended"):
        return None
    with prefect_client(env) as client:
        found: dict[str, dt.datetime] = {}
        for state in client.read_flow_run_states(runs[0].id):
            found.setdefault(state.name, state.timestamp)
    return found


def _after(env: dict[str, str], name: str, since: dt.datetime) -> dict[str, float]:
    """Seconds from ``since`` to the item's run being resumed (the server took the decision's wake-up) and to it
    running again (a worker started its replay): where an approval's time goes, beside recorded and published."""
    [run] = [r for r in flow_runs(env) if r.name == name]
    with prefect_client(env) as client:
        states = sorted((s for s in client.read_flow_run_states(run.id) if s.timestamp > since),
                        key=lambda s: s.timestamp)
    resumed = next((s for s in states if s.type.value in ("SCHEDULED", "PENDING", "RUNNING")), None)
    running = next((s for s in states if s.type.value == "RUNNING"), None)
    return {key: (state.timestamp - since).total_seconds() for key, state in
            (("resumed", resumed), ("running_again", running)) if state is not None}


def _summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(statistics.median(values), 2), "p95": round(percentile(values, 0.95), 2)}


def run(topology: str, execution: str, items: int, root: Path) -> dict:
    ws = make_workspace(root / "ws")
    (ws.root / "tarjama.toml").write_text(
        f'providers = ["libre"]\n[workers]\nexecution = "{execution}"\n[inbox]\nwatch_seconds = 1\n'
        '[review]\nwatch_seconds = 2\n', encoding="utf-8")
    timings: dict[str, list[float]] = {name: [] for name in
                                       ("to_review", "flow_body", "orchestration", "resumed", "running_again", "recorded",
                                        "published", "returned")}
    with LoopbackMTServer("libre") as libre, running_stack(topology, ws, root, libre.url) as (env, _, _):
        warm_up = "warmup-00"  # the worker's first run (its fork server may still be importing)
        for n, slug in enumerate([warm_up] + [f"start-{n:02d}" for n in range(items)]):
            landed = dt.datetime.now(dt.UTC)
            (ws.inbox / f"{slug}.txt").write_text(burst_item(3000 + n), encoding="utf-8")
            states = wait_for(lambda slug=slug: _states(env, slug), 300, f"{slug} waiting for review", every=0.1)
            if slug == warm_up:
                continue
            total = (states["Suspended"] - landed).total_seconds()
            body = (states["Suspended"] - states["Running"]).total_seconds()
            timings["to_review"].append(total)
            timings["flow_body"].append(body)
            timings["orchestration"].append(total - body)

            reviewed(ws, slug, "fr")
            before = len(read(ws, slug))
            seen: dict[str, float] = {}
            since = dt.datetime.now(dt.UTC)
            started = time.monotonic()
            command = subprocess.Popen([sys.executable, "-m", "cli", "approve", slug, "--lang", "fr",
                                        "--reviewer", "Bench", "--workspace", str(ws.root)], env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            while True:  # the log's events as they land, and the command's exit
                finished = command.poll() is not None
                if finished and "returned" not in seen:
                    seen["returned"] = time.monotonic() - started
                for event in read(ws, slug)[before:]:
                    name = {DecisionMade: "recorded", Published: "published"}.get(type(event))
                    if name and name not in seen:
                        seen[name] = time.monotonic() - started
                if finished and "published" in seen:
                    break
                assert time.monotonic() - started < 300, f"{slug}: no publication"
                time.sleep(0.02)
            output = command.stdout.read()
            assert command.returncode == 0, output
            seen.update(_after(env, slug, since))
            for name in ("resumed", "running_again", "recorded", "published", "returned"):
                timings[name].append(seen[name])
    summaries = {f"{name}_s": _summary(values) for name, values in timings.items()}
    return {"topology": topology, "execution": execution, "items": items, **summaries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--only", choices=["serve", "workers"], help="one topology (default: both, side by side)")
    parser.add_argument("--execution", choices=["warm", "process"], default="warm",
                        help="how runs start ([workers] execution)")
    args = parser.parse_args(argv)
    reports = []
    for topology in [args.only] if args.only else ["serve", "workers"]:
        with tempfile.TemporaryDirectory(prefix=f"tarjama-start-{topology}-") as tmp:
            reports.append(run(topology, args.execution, args.items, Path(tmp)))
        print(json.dumps(reports[-1]), flush=True)
    ok = True
    for report in reports:
        met = report["orchestration_s"]["p50"] < 3 and report["published_s"]["p50"] < 2
        ok &= met
        print(("PASS" if met else "FAIL") + f": {report['topology']} ({report['execution']} start), inbox to review "
              f"{report['to_review_s']['p50']} s p50 (orchestration {report['orchestration_s']['p50']} s, target < 3 s "
              f"plus MT), approval to published {report['published_s']['p50']} s p50 (target < 2 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
