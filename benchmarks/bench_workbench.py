"""The translator's workbench at newsroom scale: translation memory lookups and QA checks.

Memory: a 40-sentence item (10 sentences the memory holds exactly, 10 with one
word changed, 20 new) against a memory of 100,000 approved segments; exact and
close matches together (target: under 200 ms), cold (the memory read from
SQLite and indexed) and warm (read again only when it changed). The sentences
are 14 to 24 words drawn from a 30,000-word vocabulary of Arabic-letter words
with Zipf-distributed frequencies, as words are distributed in news text (a
uniform draw from a few hundred words would make every sentence look alike). Checks: `tarjama check`
on a 300-sentence item in French and English, as a command (target: under 1 s).

Run: make bench   (or .venv/bin/python -m benchmarks.bench_workbench)
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tarjama.memory import _connect, _store, close_many, exact, key_of
from tarjama.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
_vocabulary: list[str] = []
_weights: list[float] = []


def _words() -> tuple[list[str], list[float]]:
    if not _vocabulary:
        rng = random.Random(3)
        _vocabulary.extend("".join(rng.choice(LETTERS) for _ in range(rng.randint(2, 8))) for _ in range(30_000))
        _weights.extend(1 / rank for rank in range(1, 30_001))  # Zipf: the n-th word is n times rarer than the first
    return _vocabulary, _weights


def sentence(rng: random.Random, n: int) -> str:
    vocabulary, weights = _words()
    return " ".join(rng.choices(vocabulary, weights, k=rng.randint(14, 24))) + f" رقم {n}."


def build_memory(ws: Workspace, size: int, rng: random.Random) -> list[str]:
    sources = [sentence(rng, n) for n in range(size)]
    with _connect(ws, write=True) as db:
        _store(db, [(key_of(s), s, "fr", f"Traduction {n}.", f"item-{n // 20}", f"p{n % 20}.s1", "bench", "2026-11-01")
                    for n, s in enumerate(sources)])
    return sources


def memory_run(size: int) -> dict:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp))
        (ws.root / "translations").mkdir()
        remembered = build_memory(ws, size, rng)
        item = rng.sample(remembered, 10)
        item += [" ".join([*s.split()[:-4], "جديدة", *s.split()[-3:]]) for s in rng.sample(remembered, 10)]
        item += [sentence(rng, 10_000_000 + n) for n in range(20)]
        timings = []
        for _ in range(3):  # the first is cold: the memory read from SQLite
            started = time.perf_counter()
            exact_found = exact(ws, item, "fr")
            close_found = close_many(ws, [s for s in item if s not in exact_found], "fr")
            timings.append((time.perf_counter() - started) * 1000)
        return {"memory_segments": size, "item_sentences": len(item), "exact": len(exact_found),
                "with_close_matches": sum(1 for m in close_found.values() if m),
                "cold_ms": round(timings[0], 1), "warm_ms": round(min(timings[1:]), 1)}


def check_run(sentences: int) -> dict:
    import polib

    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "content" / "inbox").mkdir(parents=True)
        folder = root / "translations" / "long-item"
        folder.mkdir(parents=True)
        for lang in ("fr", "en"):
            po = polib.POFile()
            po.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": lang}
            for n in range(sentences):
                source = sentence(rng, n).replace("رقم", f"في {n % 28 + 1} يناير 2025، رقم")
                po.append(polib.POEntry(msgctxt=f"p{n}.s1", msgid=source, msgstr=f"Phrase {n} du {n % 28 + 1} janvier 2025."))
            po.save(str(folder / f"{lang}.po"))
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "cli", "check", "long-item", "--json", "-w", str(root)],
                              capture_output=True, text=True, cwd=REPO)
        wall = time.perf_counter() - started
        report = json.loads(proc.stdout)
        return {"sentences": sentences, "languages": 2, "findings": sum(len(v) for v in report["findings"].values()),
                "command_s": round(wall, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", type=int, default=100_000)
    parser.add_argument("--sentences", type=int, default=300)
    args = parser.parse_args(argv)
    report = {"memory": memory_run(args.memory), "check": check_run(args.sentences)}
    print(json.dumps(report, indent=2))
    memory_ok = report["memory"]["warm_ms"] < 200
    check_ok = report["check"]["command_s"] < 1.0
    print(f"{'PASS' if memory_ok else 'FAIL'}: memory lookup {report['memory']['warm_ms']} ms warm, "
          f"{report['memory']['cold_ms']} ms cold (target < 200 ms); "
          f"{'PASS' if check_ok else 'FAIL'}: tarjama check {report['check']['command_s']} s (target < 1 s)")
    return 0 if memory_ok and check_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
