"""Approval to publication on `tarjama serve`: how long a reviewer waits after `tarjama approve`.

A Prefect server on SQLite and `tarjama serve` (loopback LibreTranslate) on this machine; N items are drafted
and Suspended first. Then, one item at a time, the French catalog is marked reviewed and `tarjama approve`
runs as a reviewer types it. Measured for each approval, from the command's start:

- recorded: the run's outcome in the review log (``DecisionMade``);
- published: the ``Published`` event (the files exist);
- returned: the command exits (what the reviewer waits for).

p50 and p95 of each, side by side, in one run.

Run: .venv/bin/python -m benchmarks.bench_approval [--items 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polib

from benchmarks.bench_workers import flow_runs
from operations.stack import Child
from tarjama.review.events import DecisionMade, Published, read
from tarjama.workspace import Workspace
from tests.conftest import burst_item, free_port, make_workspace
from tests.support.mt_servers import LoopbackMTServer
from tests.support.topology import prefect_server, topology_env
from tests.support.waiting import wait_for


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def reviewed(ws: Workspace, slug: str, lang: str) -> None:
    path = ws.catalog_path(slug, lang)
    po = polib.pofile(str(path))
    for entry in po:
        entry.flags = []
    po.save(str(path))


def suspended(env: dict[str, str], count: int) -> bool:
    return sum(1 for r in flow_runs(env) if r.state and r.state.name == "Suspended") >= count


def run(items: int, root: Path) -> dict:
    ws = make_workspace(root / "ws")
    logs = root / "logs"
    (ws.root / "tarjama.toml").write_text('providers = ["libre"]\n[inbox]\nwatch_seconds = 1\n[review]\nwatch_seconds = 2\n',
                                          encoding="utf-8")
    timings: dict[str, list[float]] = {"recorded": [], "published": [], "returned": []}
    with LoopbackMTServer("libre") as libre:
        env = {**topology_env(root / "prefect-home", free_port(), None), "TARJAMA_LIBRE_URL": libre.url}
        with prefect_server(env, logs):
            serve = Child("serve", [sys.executable, "-m", "cli", "serve", "--workspace", str(ws.root)], env,
                          logs / "serve.log")
            try:
                slugs = [f"approve-{n:02d}" for n in range(items)]
                for n, slug in enumerate(slugs):
                    (ws.inbox / f"{slug}.txt").write_text(burst_item(2000 + n), encoding="utf-8")
                wait_for(lambda: suspended(env, items), 900, f"{items} runs waiting for review", every=1)
                for slug in slugs:
                    reviewed(ws, slug, "fr")
                    before = len(read(ws, slug))
                    seen: dict[str, float] = {}
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
                        time.sleep(0.05)
                    output = command.stdout.read()
                    assert command.returncode == 0, output
                    for name in timings:
                        timings[name].append(seen[name])
            finally:
                serve.stop()
    report: dict[str, object] = {"items": items}
    for name, values in timings.items():
        report[f"{name}_s_p50"] = round(statistics.median(values), 2)
        report[f"{name}_s_p95"] = round(percentile(values, 0.95), 2)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        report = run(args.items, Path(tmp))
    print(json.dumps(report, indent=2))
    ok = report["returned_s_p50"] <= report["published_s_p50"] + 1.0
    print(f"{'PASS' if ok else 'FAIL'}: approve returns {report['returned_s_p50']} s p50 after its start "
          f"(outcome recorded {report['recorded_s_p50']} s, published {report['published_s_p50']} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
