"""Does "low" deserve its name? The risk bands measured on real news, with errors injected the way MT damages it.

Corpus: NTREX-128 (``../shared/corpora/ntrex/dev.jsonl``: 1,007 Arabic sentences with their professional French
and English translations; CC BY-SA 4.0). Every sentence is a segment in both languages; the draft under test is
the human translation (clean) or the same with one error injected (damaged): a negation dropped, a number changed,
a name replaced by another, the second half of the sentence deleted, two names swapped (who did what), a month
replaced. The other language's human translation stands for the item's other draft. Each segment is banded by
``tarjama.qa.risk.assess`` with the QA findings ``tarjama check`` gives it.

Targets (issue 17): at least 95 % of damaged segments banded medium or high, at least 60 % of clean segments low.

Alternatives: the corpus holds no second, independent translation of the same sentence, so "a second engine's
output" is modelled as the undamaged human translation (what a good second engine comes close to). On clean
segments that alternative is the draft itself: the figure with alternatives on is an upper bound of the signal's
help, not a measurement of two engines' agreement (the thresholds are said in the README).

Run: make bench   (or .venv/bin/python -m benchmarks.bench_risk [--json] [--list])
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from benchmarks.bench_qa import LANGS, change_a_digit, delete_second_half, replace_a_month
from tarjama.qa.checks import CHECKS, CROSS_CHECKS, TranslatedSegment, cross_language
from tarjama.qa.risk import Band, Evidence, Risk, assess
from tarjama.qa.run import Finding
from tarjama.segment import HEADLINE
from tests.support.ntrex import Sentence, sentences

DAMAGED_TARGET = 0.95  # share of damaged segments banded medium or high
CLEAN_TARGET = 0.60  # share of clean segments banded low

Injector = Callable[[Sentence, str, str, random.Random], "str | None"]

_NEGATION_WORDS = {
    "fr": re.compile(r"\b(?:ne|n['’](?=\w)|pas|jamais|aucune?|rien|ni|sans|non|guère|nullement)\b\s*", re.I),
    "en": re.compile(r"\b(?:not|never|no|none|nothing|nobody|neither|nor|without|cannot)\b\s*|n['’]t\b", re.I),
}


_SOURCE_NEGATES = re.compile("(?<![\u0621-\u064a])(?:و|ف)?(?:لا|لم|لن|ليس|ليست|ليسوا)(?![\u0621-\u064a])")
_RESTRICTIVE = re.compile(r"\bn(?:e|['’])\b(?:(?!\bpas\b|\bjamais\b|\bplus\b|\brien\b).)*\bque\b", re.I)


def drop_negation(s: Sentence, lang: str, target: str, rng: random.Random) -> str | None:
    """The source negates and every negation word of the translation is deleted ("did not sign" becomes "did
    sign"): MT's worst error. French "ne ... que" (only) is no negation and is left alone."""
    if not _SOURCE_NEGATES.search(s.ar) or (lang == "fr" and _RESTRICTIVE.search(target)):
        return None
    damaged = _NEGATION_WORDS[lang].sub("", target)
    if damaged == target:
        return None
    return re.sub(r"\bcan\b(?=\s)", "can", damaged.replace("cannot", "can")).strip()


_CAPITALISED = re.compile(r"(?<=[\s(«\"“])([A-Z][a-zà-ÿ]{2,}(?:[- ][A-Z][a-zà-ÿ]+)*)")
_NOT_NAMES = frozenset((
    "The", "This", "That", "These", "Those", "They", "There", "Their", "When", "Where", "What", "While", "After",
    "Before", "During", "But", "And", "Mais", "Les", "Des", "Une", "Dans", "Pour", "Avec", "Selon", "Lors", "Mardi",
    "Lundi", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
    "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Mr", "Mrs",
    "Ms", "Dr",
))


def _names(text: str) -> list[str]:
    return [n for n in _CAPITALISED.findall(text) if n.split()[0] not in _NOT_NAMES]


def _corpus_names() -> list[str]:
    """Names as MT would put a wrong one: the ones both professional translations of a sentence spell the same."""
    return sorted({n for s in sentences() for n in _names(s.fr) if n in _names(s.en) and len(n) >= 4})


def replace_a_name(s: Sentence, lang: str, target: str, rng: random.Random, *, pool: list[str] | None = None
                   ) -> str | None:
    """A name the other language's translation also has, replaced by another name of the corpus."""
    other = s.en if lang == "fr" else s.fr
    shared = [n for n in _names(target) if n in other]
    if not shared:
        return None
    name = rng.choice(shared)
    candidates = [n for n in (pool or NAMES) if n not in target and n not in other and n not in s.ar]
    return target.replace(name, rng.choice(candidates), 1) if candidates else None


def swap_two_names(s: Sentence, lang: str, target: str, rng: random.Random) -> str | None:
    """Two names of the translation swapped: who did what to whom is changed, every word still there."""
    other = s.en if lang == "fr" else s.fr
    shared = list(dict.fromkeys(n for n in _names(target) if n in other))
    if len(shared) < 2:
        return None
    a, b = rng.sample(shared, 2)
    if a in b or b in a:
        return None
    return target.replace(a, "\0").replace(b, a).replace("\0", b)


INJECTIONS: dict[str, Injector] = {
    "negation dropped": drop_negation,
    "number changed": change_a_digit,
    "name replaced": replace_a_name,
    "second half deleted": delete_second_half,
    "who did what (two names swapped)": swap_two_names,
    "month replaced": replace_a_month,
}
NAMES: list[str] = []


def qa_findings(s: Sentence, lang: str, target: str) -> tuple[Finding, ...]:
    """The findings ``tarjama check`` gives the segment, the other language being a draft."""
    other_lang = "en" if lang == "fr" else "fr"
    seg = TranslatedSegment(s.id, s.ar, target, lang, None, drafts={other_lang: getattr(s, other_lang)})
    found = [Finding(lang, s.id, name, chk.severity, chk.message, detail)
             for name, chk in CHECKS.items() if (detail := chk.run(seg))]
    found += [Finding(lang, s.id, name, CROSS_CHECKS[name][0], CROSS_CHECKS[name][1], detail)
              for name, detail in cross_language(seg)]
    return tuple(found)


def band_of(s: Sentence, lang: str, target: str, *, alternative: str | None) -> Risk:
    other_lang = "en" if lang == "fr" else "fr"
    segment_id = HEADLINE if s.index == 0 else s.id  # line 0 of a document is its headline
    return assess(Evidence(segment_id, s.ar, target, lang, qa_findings(s, lang, target),
                           others={other_lang: getattr(s, other_lang)},
                           alternatives=(("second engine", alternative),) if alternative else ()))


@dataclass
class Bands:
    counted: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, risk: Risk, example: tuple[str, str, str]) -> None:
        self.counted[risk.band.value] += 1
        for reason in risk.reasons:
            if reason.band is risk.band and risk.band is not Band.LOW:
                self.reasons[reason.signal] += 1
        self.examples.append((*example, risk.summary()))

    @property
    def total(self) -> int:
        return sum(self.counted.values())

    def share(self, *bands: str) -> float:
        return sum(self.counted[b] for b in bands) / self.total if self.total else 0.0


def clean_bands(corpus: Iterable[Sentence], *, alternatives: bool) -> Bands:
    result = Bands()
    for s in corpus:
        for lang in LANGS:
            target = getattr(s, lang)
            result.add(band_of(s, lang, target, alternative=target if alternatives else None), (s.id, lang, target))
    return result


def damaged_bands(corpus: Iterable[Sentence], injector: Injector, *, alternatives: bool, seed: int = 17) -> Bands:
    result = Bands()
    for s in corpus:
        for lang in LANGS:
            clean = getattr(s, lang)
            damaged = injector(s, lang, clean, random.Random(f"{seed}:{s.id}:{lang}"))
            if damaged is None or damaged == clean:
                continue
            result.add(band_of(s, lang, damaged, alternative=clean if alternatives else None), (s.id, lang, damaged))
    return result


def measure(corpus: list[Sentence], *, alternatives: bool) -> dict:
    NAMES[:] = _corpus_names()
    clean = clean_bands(corpus, alternatives=alternatives)
    damaged = {name: damaged_bands(corpus, injector, alternatives=alternatives) for name, injector in INJECTIONS.items()}
    flagged = sum(d.total * d.share("medium", "high") for d in damaged.values())
    total = sum(d.total for d in damaged.values())
    return {"clean": clean, "damaged": damaged, "damaged_flagged": flagged / total if total else 0.0,
            "damaged_total": total}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--list", action="store_true", help="list clean segments not low and damaged ones low")
    args = parser.parse_args(argv)
    corpus = list(sentences())
    runs = {label: measure(corpus, alternatives=on) for label, on in (("off", False), ("on", True))}
    ok = all(r["damaged_flagged"] >= DAMAGED_TARGET and r["clean"].share("low") >= CLEAN_TARGET for r in runs.values())
    if args.json:
        print(json.dumps({label: {
            "clean": {"segments": r["clean"].total, **{b: r["clean"].share(b) for b in ("low", "medium", "high")},
                      "raised_by": dict(r["clean"].reasons)},
            "damaged": {"segments": r["damaged_total"], "medium_or_high": r["damaged_flagged"],
                        "by_kind": {name: {"segments": d.total, "medium_or_high": d.share("medium", "high"),
                                           "high": d.share("high")} for name, d in r["damaged"].items()}},
        } for label, r in runs.items()} | {"pass": ok}, indent=2))
        return 0 if ok else 1
    print(f"NTREX-128 dev: {len(corpus)} sentences x {len(LANGS)} languages")
    for label, r in runs.items():
        clean = r["clean"]
        print(f"alternatives {label}:")
        print(f"  clean: {clean.total} segments, low {clean.share('low'):.1%} (target >= {CLEAN_TARGET:.0%}), medium "
              f"{clean.share('medium'):.1%}, high {clean.share('high'):.1%}; raised by {dict(clean.reasons.most_common())}")
        print(f"  damaged: {r['damaged_total']} segments, medium or high {r['damaged_flagged']:.1%} "
              f"(target >= {DAMAGED_TARGET:.0%})")
        for name, d in r["damaged"].items():
            print(f"    {name}: {d.total}, medium or high {d.share('medium', 'high'):.1%}, high {d.share('high'):.1%}")
        if args.list:
            for example in clean.examples:
                if not example[3].startswith("low"):
                    print("   clean", *example)
            for name, d in r["damaged"].items():
                for example in d.examples:
                    if example[3].startswith("low"):
                        print("   missed", name, *example)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
