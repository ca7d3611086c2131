"""DeepL and LLM request economy: batched with context against one sentence per request, side by side.

100 items x 2 languages against the loopback DeepL API (tests/support) with a
fixed latency per request, through the official ``deepl`` client: tarjama's
batches (an item's sentences per request, its paragraphs as context) against
the same engine held to one sentence per request. Two corpora: the user's
sample item (a headline and 4 long sentences in 3 paragraphs) and an
11-segment dispatch (the sample plus a 6-sentence story), each made distinct
per item. Then the
LLM path (loopback OpenAI-compatible endpoint): requests per item.

Run: make bench   (or .venv/bin/python -m benchmarks.bench_engines --items 100)
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from tarjama.drafting import with_context
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.mt.settings import DeepLConfig, LLMConfig, MTSettings
from tarjama.mt.sources import Source
from tarjama.segment import segment_item
from tarjama.workspace import Workspace
from tests.support.deepl_server import FakeDeepL
from tests.support.openai_server import FakeChat

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "content" / "inbox" / "000_220f3de444a27c17.txt"
STORY = [
    "دعت الأمم المتحدة يوم الخميس إلى وقف فوري لإطلاق النار. وقال الأمين العام إن 12 مدنيا قتلوا.",
    "وأكد المتحدث باسم الحكومة أن المفاوضات ستستأنف في 3 مارس 2025. وأضاف أن الوفد سيضم ٥ أعضاء.",
    "ورحبت الجامعة العربية بالدعوة. ودعت الأطراف إلى ضبط النفس.",
]
KEY = "bench-key:fx"


def corpus(items: int, dispatch: bool) -> list[list[Source]]:
    """``items`` distinct items (each sentence tagged with its item's number, so nothing is deduplicated)."""
    sample = load_item(SAMPLE, Workspace(REPO))
    out = []
    for n in range(items):
        paragraphs = [f"الخبر {n}: {p}" for p in sample.paragraphs] + ([f"({n}) {p}" for p in STORY] if dispatch else [])
        item = replace(sample, headline=f"عنوان الخبر {n}", paragraphs=tuple(paragraphs))
        out.append([with_context(item, segment, lang) for lang in ("fr", "en") for segment in segment_item(item)])
    return out


def deepl_run(items: list[list[Source]], latency: float, concurrency: int, batch_texts: int) -> dict:
    with FakeDeepL(KEY, latency=latency) as server:
        settings = MTSettings(chain=("deepl",), concurrency=concurrency, timeout=10,
                              providers={"deepl": DeepLConfig(api_key=KEY, url=server.url, batch_texts=batch_texts)})
        started = time.perf_counter()
        for sources in items:  # one engine per item, as each run has its own
            results = MTEngine(settings).translate_sources(sources)
            assert all(r.ok for r in results.values())
        wall = time.perf_counter() - started
        return {"requests": len(server.translations()), "wall_s": round(wall, 2)}


def llm_run(items: list[list[Source]], latency: float, concurrency: int) -> dict:
    with FakeChat("bench", latency=latency) as server:
        settings = MTSettings(chain=("llm",), concurrency=concurrency, timeout=10,
                              providers={"llm": LLMConfig(url=server.url, api_key="bench", model="bench")})
        started = time.perf_counter()
        tokens = 0
        for sources in items:
            engine = MTEngine(settings)
            assert all(r.ok for r in engine.translate_sources(sources).values())
            tokens += sum(u.prompt_tokens + u.completion_tokens for u in engine.usage.items.values())
        wall = time.perf_counter() - started
        return {"requests": len(server.completions()), "wall_s": round(wall, 2), "tokens": tokens}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--target-ratio", type=float, default=5.0, help="fewer requests, batched (dispatch corpus)")
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000
    report: dict = {"items": args.items, "languages": 2, "latency_ms": args.latency_ms, "concurrency": args.concurrency}
    for name, dispatch in (("sample", False), ("dispatch", True)):
        items = corpus(args.items, dispatch)
        batched = deepl_run(items, latency, args.concurrency, 50)
        single = deepl_run(items, latency, args.concurrency, 1)
        report[f"deepl_{name}"] = {
            "sentences_per_item": len(items[0]) // 2, "batched": batched, "one_per_request": single,
            "fewer_requests": round(single["requests"] / batched["requests"], 2),
            "faster": round(single["wall_s"] / batched["wall_s"], 2),
        }
    items = corpus(args.items, True)
    llm = llm_run(items, latency, args.concurrency)
    report["llm_dispatch"] = {**llm, "requests_per_item_language": round(llm["requests"] / (2 * args.items), 2),
                              "paragraphs_per_item": len({s.paragraph for s in items[0] if s.target == "fr"})}
    print(json.dumps(report, indent=2))
    ratio = report["deepl_dispatch"]["fewer_requests"]
    ok = ratio >= args.target_ratio
    print(f"{'PASS' if ok else 'FAIL'}: DeepL batched sends {ratio}x fewer requests on 11-segment items "
          f"(target >= {args.target_ratio}x), {report['deepl_sample']['fewer_requests']}x on the sample item")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
