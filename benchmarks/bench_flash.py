"""Breaking news on the flash path: from an item marked ``urgency: flash`` landing in ``content/inbox/`` to its
unreviewed French and English versions published in ``content/published/``.

On ``tarjama serve`` (a Prefect server on SQLite, the default warm execution, loopback LibreTranslate answering
at once), N items one at a time after one that warms the worker up. Each item's time is taken from the moment
its file lands to the moment its page is visible at its stable address (``content/published/<lang>/<slug>.html``,
swapped in atomically, looked at every 20 ms), for the first language and for both; MT time is included (a
loopback engine's). Beside it, in the same run, the flow's own work (Running to the run's suspension, from the
server's state timestamps) shows how much of it is orchestration.

Run: .venv/bin/python -m benchmarks.bench_flash [--items 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_start import _states, _summary
from benchmarks.bench_workers import running_stack
from tests.conftest import burst_item, make_workspace
from tests.support.mt_servers import LoopbackMTServer
from tests.support.waiting import wait_for

LANGS = ("fr", "en")
TARGET_SECONDS = 15
LABELS = {"fr": "en cours de relecture", "en": "under review"}


def flash_item(n: int, slug: str) -> str:
    return f"---\nurgency: flash\nslug: {slug}\n---\n\n{burst_item(5000 + n)}"


def published_unreviewed(ws_published: Path, slug: str, lang: str) -> bool:
    try:
        return LABELS[lang] in (ws_published / lang / f"{slug}.html").read_text(encoding="utf-8")
    except OSError:
        return False


def run(items: int, root: Path) -> dict:
    ws = make_workspace(root / "ws")
    (ws.root / "tarjama.toml").write_text('providers = ["libre"]\n[inbox]\nwatch_seconds = 1\n'
                                          '[review]\nwatch_seconds = 2\n', encoding="utf-8")
    timings: dict[str, list[float]] = {"first_language": [], "both_languages": [], "flow_body": []}
    with LoopbackMTServer("libre") as libre, running_stack("serve", ws, root, libre.url) as (env, _, _):
        for n, slug in enumerate(["flash-warmup"] + [f"flash-{n:02d}" for n in range(items)]):
            landed = time.monotonic()
            (ws.inbox / f"{slug}.md").write_text(flash_item(n, slug), encoding="utf-8")
            seen: dict[str, float] = {}
            while len(seen) < len(LANGS):  # each page as soon as it is visible at its address
                for lang in LANGS:
                    if lang not in seen and published_unreviewed(ws.published, slug, lang):
                        seen[lang] = time.monotonic() - landed
                assert time.monotonic() - landed < 300, f"{slug}: not published before review"
                time.sleep(0.02)
            states = wait_for(lambda slug=slug: _states(env, slug), 300, f"{slug} waiting for review", every=0.1)
            if n == 0:
                continue
            timings["first_language"].append(min(seen.values()))
            timings["both_languages"].append(max(seen.values()))
            timings["flow_body"].append((states["Suspended"] - states["Running"]).total_seconds())
    return {"items": items, "date": dt.date.today().isoformat(),
            **{f"{name}_s": _summary(values) for name, values in timings.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tarjama-flash-") as tmp:
        report = run(args.items, Path(tmp))
    print(json.dumps(report), flush=True)
    both = report["both_languages_s"]
    ok = both["p95"] < TARGET_SECONDS
    print(("PASS" if ok else "FAIL") + f": flash item, inbox to unreviewed fr and en published {both['p50']} s p50, "
          f"{both['p95']} s p95 (target < {TARGET_SECONDS} s, MT included)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
