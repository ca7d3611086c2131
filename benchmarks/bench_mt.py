"""MT stage throughput: tarjama's engine against a naive deep-translator loop, side by side.

100 items x 2 languages against the loopback LibreTranslate server with a fixed
latency per request. Reports wall time against the ideal bound
(requests x latency / concurrency) and against a sequential
``LibreTranslator.translate_batch`` loop over the same texts.

Run: make bench   (or .venv/bin/python -m benchmarks.bench_mt --items 100)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from deep_translator import LibreTranslator

from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.mt.settings import MTSettings, ProviderConfig
from tarjama.segment import segment_item
from tarjama.workspace import Workspace
from tests.support.mt_servers import LoopbackMTServer

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "content" / "inbox" / "000_220f3de444a27c17.txt"


def corpus(items: int) -> list[list[str]]:
    """``items`` distinct items built from the sample's sentences (distinct, so dedupe does not help)."""
    sentences = [s.text for s in segment_item(load_item(SAMPLE, Workspace(REPO)))]
    return [[f"الخبر {n}: {sentence}" for sentence in sentences] for n in range(items)]


def run(items: int, latency: float, concurrency: int, targets: tuple[str, ...]) -> dict:
    texts = corpus(items)
    with LoopbackMTServer("libre", latency=latency) as server:
        settings = MTSettings(chain=("libre",), concurrency=concurrency, timeout=10,
                              providers={"libre": ProviderConfig(url=server.url)})
        engine = MTEngine(settings)
        jobs = [(text, lang) for item in texts for lang in targets for text in item]
        started = time.perf_counter()
        results = engine.translate_jobs(jobs)
        engine_s = time.perf_counter() - started
        assert all(r.ok for r in results.values()), "the benchmark expects every request to succeed"
        requests = len(server.requests)

        server.reset()
        started = time.perf_counter()
        for item in texts:
            for lang in targets:
                LibreTranslator(source="ar", target=lang, api_key="-", custom_url=server.url).translate_batch(item)
        naive_s = time.perf_counter() - started
        assert len(server.requests) == requests

    bound = requests * latency / concurrency
    return {
        "items": items, "languages": len(targets), "requests": requests, "latency_ms": latency * 1000,
        "concurrency": concurrency, "bound_s": round(bound, 3), "tarjama_s": round(engine_s, 3),
        "naive_translate_batch_s": round(naive_s, 3), "tarjama_vs_bound": round(engine_s / bound, 3),
        "speedup_vs_naive": round(naive_s / engine_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--target-ratio", type=float, default=1.3)
    args = parser.parse_args(argv)
    report = run(args.items, args.latency_ms / 1000, args.concurrency, ("fr", "en"))
    print(json.dumps(report, indent=2))
    ok = report["tarjama_vs_bound"] <= args.target_ratio
    print(f"{'PASS' if ok else 'FAIL'}: tarjama at {report['tarjama_vs_bound']}x the bound "
          f"(target <= {args.target_ratio}x), {report['speedup_vs_naive']}x faster than translate_batch")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
