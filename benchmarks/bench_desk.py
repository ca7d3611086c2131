"""Review desk under load, over real loopback HTTP: a 300-segment article.

Measures, in one run: the review page's render time (target < 300 ms), and the
latency of segment saves with 20 reviewers saving at once (target: 95th
percentile < 100 ms). The desk runs as `tarjama desk` in its own process; the
load comes from 20 client threads in this one.

Run: make bench-desk   (or .venv/bin/python -m benchmarks.bench_desk)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tarjama.context import Context
from tarjama.desk.reviewers import save_reviewer
from tarjama.drafting import draft_item
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.mt.settings import MTSettings, ProviderConfig
from tarjama.workspace import Workspace
from tests.support.mt_servers import LoopbackMTServer

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"
SENTENCES = [
    "شارك السيد هشام ملاطي في أشغال المائدة المستديرة التي نظمها المرصد الوطني للهجرة رقم {n}.",
    "وتطرق إلى الجهود المبذولة من طرف المملكة المغربية لتعزيز المبادرات الجهوية في المجال {n}.",
    "كما شكل اللقاء فرصة للتذكير بالمقتضيات الوقائية والحمائية المتعلقة بالقانون رقم {n}.",
]


def build(root: Path, segments: int) -> Workspace:
    (root / "content" / "inbox").mkdir(parents=True)
    (root / "translations").mkdir()
    paragraphs = ["".join(" " + SENTENCES[j].format(n=p * 3 + j) for j in range(3)).strip() for p in range(segments // 3)]
    item_path = root / "content" / "inbox" / "long-item.txt"
    item_path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    ws = Workspace(root)
    with LoopbackMTServer("libre") as libre:
        settings = MTSettings(chain=("libre",), concurrency=8, providers={"libre": ProviderConfig(url=libre.url)})
        draft_item(Context.load(ws), load_item(item_path, ws), ["fr"], MTEngine(settings))
    return ws


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def login(base: str, name: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=30)
    page = client.get("/login").text
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    client.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf})
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)
    return client, csrf


def run(segments: int, reviewers: int, renders: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        ws = build(Path(tmp) / "ws", segments)
        names = [f"reviewer{n:02d}" for n in range(reviewers)]
        for name in names:
            save_reviewer(ws.root / "reviewers.toml", name, ["fr"], PASSWORD)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
        desk = subprocess.Popen([sys.executable, "-m", "cli", "desk", "--port", str(port), "--workspace", str(ws.root)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
                assert time.monotonic() < deadline, "the desk did not start"
                time.sleep(0.2)
            clients = [login(base, name) for name in names]
            url = "/review/long-item/fr"
            page = clients[0][0].get(url).text
            found = re.findall(r'id="seg-([^"]+)".*?name="base" value="([^"]+)"', page, flags=re.S)
            assert len(found) == segments, f"expected {segments} segments, found {len(found)}"
            render_ms = []
            for _ in range(renders):
                started = time.perf_counter()
                assert clients[0][0].get(url).status_code == 200
                render_ms.append((time.perf_counter() - started) * 1000)

            latencies: list[float] = []
            failures: list[int] = []
            lock = threading.Lock()
            barrier = threading.Barrier(reviewers)

            def reviewer(index: int) -> None:
                client, csrf = clients[index]
                mine = [(seg, b) for n, (seg, b) in enumerate(found) if n % reviewers == index]
                barrier.wait()
                for seg, fingerprint in mine:
                    started = time.perf_counter()
                    response = client.post(f"{url}/segments/{seg}", headers={"Accept": "application/json", "X-CSRF-Token": csrf},
                                           data={"text": f"Traduction relue {seg}.", "reviewed": "1", "base": fingerprint})
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        latencies.append(elapsed)
                        if response.status_code != 200:
                            failures.append(response.status_code)

            threads = [threading.Thread(target=reviewer, args=(i,)) for i in range(reviewers)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
            reviewed = clients[0][0].get(url).text.count('class="segment state-reviewed"')
        finally:
            os.killpg(desk.pid, signal.SIGTERM)
            desk.wait(timeout=20)
    return {
        "segments": segments, "reviewers": reviewers,
        "render_ms_median": round(statistics.median(render_ms), 1), "render_ms_p95": round(percentile(render_ms, 0.95), 1),
        "saves": len(latencies), "save_failures": len(failures), "segments_reviewed_after": reviewed,
        "save_ms_median": round(statistics.median(latencies), 1), "save_ms_p95": round(percentile(latencies, 0.95), 1),
        "save_ms_max": round(max(latencies), 1), "saves_per_second": round(len(latencies) / wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=300)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--renders", type=int, default=30)
    args = parser.parse_args(argv)
    report = run(args.segments, args.reviewers, args.renders)
    print(json.dumps(report, indent=2))
    ok = (report["render_ms_p95"] < 300 and report["save_ms_p95"] < 100 and report["save_failures"] == 0
          and report["segments_reviewed_after"] == args.segments)
    print(f"{'PASS' if ok else 'FAIL'}: review page p95 {report['render_ms_p95']} ms (target < 300), "
          f"save p95 {report['save_ms_p95']} ms with {args.reviewers} reviewers at once (target < 100)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
