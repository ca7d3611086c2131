"""Review by exception: a risk band for every translated segment (low, medium, high), with the reasons behind it.

Each signal looks at one thing a reviewer would check and asks for at least a band; a segment's band is the
highest any signal asks for. There are no weights and no model to download: the function below is the whole
rule, and every threshold is measured on real news (NTREX-128, ``benchmarks/bench_risk.py``; the README gives
the figures). The signals:

* the QA findings: a critical one asks for high (overridden by a reviewer: medium), a warning for medium;
* negation, the error that turns news into its opposite: the source negates (لا، لم، لن، ليس ...; idioms such
  as لا يزال "still" aside) and the translation has no negation at all, or another language's translation of
  the same sentence negates and this one does not: high;
* omission, the error newsrooms report most: a translation much shorter than its source usually gives (the
  language's own ratio, measured), or than the same sentence in the other language; a Latin-script name or
  acronym of the source missing; the source quotes someone and the translation has no quotation marks; a name
  of the other language's translation missing here;
* engine agreement: where a second engine's output is kept (``suggest_from``, or a fallback provider), their
  chrF; disagreement raises the risk;
* a very long source sentence (MT loses clauses in them): medium;
* the translation memory: a draft that is a reviewed translation of the same sentence is low, whatever the
  other signals say, unless a critical finding holds.

A critical finding is never low. A risk says where a reviewer should look first; it never decides anything:
accepting low-risk segments is a person's decision (``[review] policy = "by-exception"``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from tarjama.qa.checks import Severity
from tarjama.qa.run import Finding
from tarjama.segment import HEADLINE


class Band(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Band.LOW: 0, Band.MEDIUM: 1, Band.HIGH: 2}


@dataclass(frozen=True)
class Reason:
    """One signal's finding: the band it asks for and a few words a reviewer reads (``negation``, ``engines
    disagree 41 %``)."""

    signal: str
    band: Band
    text: str


@dataclass(frozen=True)
class Risk:
    band: Band
    reasons: tuple[Reason, ...]

    def summary(self) -> str:
        """``high (negation, engines disagree 41 %)``: the band and the reasons that raised it (the low ones only
        when nothing raised it)."""
        shown = [r.text for r in self.reasons if r.band is self.band] or [r.text for r in self.reasons]
        return f"{self.band.value} ({', '.join(shown)})" if shown else self.band.value

    def as_dict(self) -> dict:
        return {"band": self.band.value, "reasons": [{"signal": r.signal, "band": r.band.value, "text": r.text}
                                                     for r in self.reasons]}


@dataclass(frozen=True)
class Evidence:
    """What is known of one translated segment when its risk is assessed."""

    id: str
    source: str
    target: str
    lang: str
    findings: tuple[Finding, ...] = ()
    others: Mapping[str, str] = field(default_factory=dict)  # the same segment in the item's other languages
    alternatives: tuple[tuple[str, str], ...] = ()  # (engine, text) kept beside the draft
    reviewed_memory: bool = False  # the draft is the memory's reviewed translation of this very sentence
    memory_score: int | None = None  # the best close match of the memory, in percent

    @property
    def base(self) -> str:
        return self.lang.split("_")[0]


def assess(evidence: Evidence) -> Risk:
    """The segment's band: the highest any signal asks for (low when none says anything)."""
    reasons = [reason for signal in SIGNALS for reason in signal(evidence)]
    critical = any(r.signal == "critical" and r.band is Band.HIGH for r in reasons)
    if evidence.reviewed_memory and not critical:
        reasons = [Reason("memory", Band.LOW, "memory: reviewed translation")]
    band = max((r.band for r in reasons), key=lambda b: b.rank, default=Band.LOW)
    reasons.sort(key=lambda r: -r.band.rank)
    return Risk(band, tuple(reasons))


# --- the signals -------------------------------------------------------------------------------------------------

FORM_CHECKS = frozenset({"quotes", "brackets", "french-typography", "repeated-word"})
"""Warnings about form, not meaning (a reviewer sees them as findings; they do not raise the risk): on NTREX-128
the quotation-mark balance alone warns on 9 % of professional translations, whose quotations span sentences."""


def findings(ev: Evidence) -> list[Reason]:
    critical = [f for f in ev.findings if f.severity is Severity.CRITICAL]
    warnings = [f for f in ev.findings if f.severity is Severity.WARNING and f.check not in FORM_CHECKS]
    reasons = []
    if blocking := [f.check for f in critical if not f.overridden]:
        reasons.append(Reason("critical", Band.HIGH, ", ".join(dict.fromkeys(blocking))))
    if overridden := [f.check for f in critical if f.overridden]:
        reasons.append(Reason("critical", Band.MEDIUM, f"{', '.join(dict.fromkeys(overridden))} overridden"))
    if warnings:
        reasons.append(Reason("warning", Band.MEDIUM, ", ".join(dict.fromkeys(f.check for f in warnings))))
    return reasons


# Arabic negation. Idioms that negate nothing in meaning ("still", "especially", "no doubt", "must") are taken out
# first; ما is left aside (it is also "what" and "that").
_AR = "\u0621-\u064a"
_IDIOMS = re.compile(rf"(?<![{_AR}])(?:و|ف)?(?:لا|ما)\s+(?:سيما|يزال|تزال|يزالون|تزالان|زال|زالت|زالوا|بد|شك|ريب|"
                     rf"يمكن\s+إلا|.{{0,40}}?\sإلا)(?![{_AR}])")
_AR_NEGATION = re.compile(rf"(?<![{_AR}])(?:و|ف)?(?:لا|لم|لن|ليس|ليست|ليسوا|ليسا|لست|لسنا|لستم|ألا|أليس|لولا)"
                          rf"(?![{_AR}])")
_AR_WEAK_NEGATION = re.compile(rf"(?<![{_AR}])(?:و|ف|ب|ل)?(?:غير|دون|بدون|عدم|بلا)(?![{_AR}])")
_NEGATION = {
    "fr": re.compile(r"\b(?:ne|n['’]|pas|jamais|aucune?|rien|personne|ni|sans|non|guère|nullement|nulle)\b", re.I),
    "en": re.compile(r"\b(?:not|no|never|none|nothing|nobody|neither|nor|without|cannot|non|unable|fail(?:s|ed)?)\b"
                     r"|n['’]t\b", re.I),
}


def _negates(text: str, base: str) -> bool | None:
    pattern = _NEGATION.get(base)
    return bool(pattern.search(text)) if pattern else None


def negation(ev: Evidence) -> list[Reason]:
    here = _negates(ev.target, ev.base)
    if here is None or here:
        return []
    source = _IDIOMS.sub(" ", ev.source)
    if _AR_NEGATION.search(source):
        return [Reason("negation", Band.HIGH, "negation")]
    witnesses = [lang for lang, text in ev.others.items() if text and _negates(text, lang.split("_")[0])]
    if witnesses and (_AR_WEAK_NEGATION.search(source) or _AR_NEGATION.search(ev.source)):
        return [Reason("negation", Band.HIGH, f"negation in {witnesses[0]}, not here")]
    return []


EXPECTED_LENGTH = {"fr": 1.26, "en": 1.06}
"""A translation's length over its Arabic source's (letters and digits), as professional translators write them:
NTREX-128 (geometric mean over the sentences of at least 30 letters)."""
LENGTH_SPREAD = 0.19  # the standard deviation of the log of that ratio, same sentences (French 0.20, English 0.19)
SHORT_HIGH, SHORT_MEDIUM = -2.6, -1.9  # in spreads below the language's usual ratio
ACROSS_SPREAD = 0.16  # the same for one translation's length over the other language's (French over English: 1.18)
MIN_LETTERS = 30  # shorter sources vary too much in ratio to say anything


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def _deviation(target: str, reference: str, expected: float, spread: float) -> float | None:
    """How many spreads ``target``'s length is above (positive) or below its expected ratio to ``reference``."""
    if _letters(reference) < MIN_LETTERS or not _letters(target):
        return None
    return (math.log(_letters(target) / _letters(reference)) - math.log(expected)) / spread


def omission(ev: Evidence) -> list[Reason]:
    reasons = []
    expected = EXPECTED_LENGTH.get(ev.base, 1.15)
    found = _deviation(ev.target, ev.source, expected, LENGTH_SPREAD)
    if found is not None and found < SHORT_MEDIUM:
        band = Band.HIGH if found < SHORT_HIGH else Band.MEDIUM
        reasons.append(Reason("omission", band, "shorter than usual"))
    for lang, text in ev.others.items():
        other_base = lang.split("_")[0]
        if not text or other_base == ev.base:
            continue
        across = _deviation(ev.target, text, expected / EXPECTED_LENGTH.get(other_base, 1.15), ACROSS_SPREAD)
        if across is not None and across < SHORT_MEDIUM:
            band = Band.HIGH if across < SHORT_HIGH else Band.MEDIUM
            reasons.append(Reason("omission", band, f"shorter than the {lang}"))
            break
    return reasons


_LATIN_TOKEN = re.compile(r"(?<![\w.])[A-Za-z][A-Za-z0-9&.'’-]*[A-Za-z0-9]")


def names(ev: Evidence) -> list[Reason]:
    """A Latin-script name or acronym the source spells (``BBC``, ``Twitter``) that the translation lacks, or a name
    of the other language's translation that this one lacks, or has in another order (who did what to whom)."""
    target = ev.target.casefold()
    reasons = []
    lost = [token for token in dict.fromkeys(_LATIN_TOKEN.findall(ev.source)) if token.casefold() not in target]
    if lost:
        reasons.append(Reason("names", Band.MEDIUM, f"{', '.join(lost[:3])} missing"))
    if ev.id == HEADLINE and ev.base not in SENTENCE_CASE_HEADLINES:
        return reasons  # an English headline may be in Title Case, where every word looks like a name
    for lang, text in ev.others.items():
        if not text or lang.split("_")[0] == ev.base:
            continue
        found = compare_names(ev.target, ev.base, text, lang.split("_")[0], ev.source)
        if found:
            reasons.append(Reason("names", Band.MEDIUM, f"{found} ({lang})"))
            break
    return reasons


SENTENCE_CASE_HEADLINES = frozenset({"fr"})  # French typography capitalises a headline's first word and its names only
_CAPITALISED = re.compile(r"(?<![\w-])[A-ZÀ-Ý][\w'’-]*\w")
_NOT_NAMES = frozenset((  # capitalised words that are not names (articles, pronouns, titles)
    "The", "This", "That", "These", "Those", "They", "There", "Their", "When", "Where", "What", "While", "After",
    "Before", "During", "But", "And", "It", "He", "She", "We", "You", "His", "Her", "Its", "Our", "In", "On", "At",
    "Of", "For", "To", "From", "By", "As", "If", "So", "Yet", "Or", "Nor", "An", "I'm", "I've", "I'd", "I'll", "Mr",
    "Mrs", "Ms", "Dr", "Mais", "Les", "Des", "Une", "Dans", "Pour", "Avec", "Selon", "Lors", "Le", "La", "Un", "Il",
    "Elle", "Ils", "Elles", "Nous", "Vous", "Ce", "Cette", "Ces", "Sur", "Par", "En", "Au", "Aux", "Du", "De", "Et",
    "Ou", "Si", "Mme", "Mlle", "St", "Saint", "Sainte", "Rev", "Father", "Père", "Révérend", "Officer",
    # the common nouns French capitalises in institutions' names (le ministre des Affaires étrangères)
    "Affaires", "Intérieur", "Défense", "Justice", "Santé", "Économie", "Finances", "Culture", "Éducation", "Travail",
    "Armées", "Sécurité", "Conseil", "Assemblée", "Cour", "Chambre", "Sénat", "Parlement", "Gouvernement", "État",
    "Etat", "Ministère", "Président", "Premier", "Nations", "Unies", "Union", "Ligue", "Banque", "Centrale",
))
_TITLE = re.compile(r"(?:^|\s)(?:Mr|Mrs|Ms|Dr|M|Mme|Mlle|St|Sen|Rep|Gov|Gen|Col|Capt|Prof|Rev)\.$")
NAME_MATCH = 70  # rapidfuzz ratio, accents aside: "Québec" is "Quebec"; "Londres" and "London" (61) are not


def compare_names(mine: str, lang: str, theirs: str, their_lang: str, source: str = "") -> str | None:
    """What is wrong with the names of a translation, against the same sentence in another language and its
    Arabic source: a name that neither the other translation has nor the source spells (by its consonants: ترامب
    is "trmb", and so is Trump), once the names Babel knows in both languages (countries, languages, days,
    months) are set aside; or two names in the other order than in the other translation. None when they agree."""
    here, there = _names(_known_names_out(mine)), _names(_known_names_out(theirs))
    skeletons = _source_skeletons(source)
    unexplained = [n for n in here if not _matches(n, theirs) and not _in_source(n, skeletons)]
    if unexplained:
        return f"{unexplained[0]}: neither in the source nor in the other translation"
    order = [n for n in dict.fromkeys(here) if here.count(n) == 1 and there.count(n) == 1]
    if len(order) >= 2 and sorted(order, key=there.index) != order:
        return "names in another order"
    return None


_ARABIC_WORD = re.compile("[\u0621-\u064a]{3,}")


def _skeleton(word: str) -> str:
    """A word's consonants as unidecode spells Arabic ones (long vowels, hamza and ain dropped; the letters Arabic
    lacks mapped to the ones it writes for them)."""
    from text_unidecode import unidecode

    text = unidecode(word).casefold()
    for latin, arabic in (("ph", "f"), ("ck", "k"), ("c", "k"), ("q", "k"), ("p", "b"), ("v", "f"), ("g", "j"),
                          ("x", "ks"), ("z", "s")):
        text = text.replace(latin, arabic)
    return re.sub(r"[^a-z]|[aeiouyw]", "", text)


@functools.lru_cache(maxsize=4096)
def _source_skeletons(source: str) -> tuple[str, ...]:
    found = []
    for word in _ARABIC_WORD.findall(source):
        skeleton = _skeleton(word)
        found.append(skeleton)
        for prefix in ("l", "wl", "bl", "fl", "w", "b", "f"):  # the article, conjunctions, prepositions
            if skeleton.startswith(prefix) and len(skeleton) > len(prefix) + 2:
                found.append(skeleton[len(prefix):])
    return tuple(found)


def _in_source(name: str, skeletons: tuple[str, ...]) -> bool:
    from rapidfuzz import fuzz, process

    wanted = _skeleton(name)
    if len(wanted) < 2:
        return True  # too short to tell
    if len(wanted) < 4:  # "kll", "kns": a near match proves nothing, only the same consonants do
        return wanted in skeletons
    best = process.extractOne(wanted, skeletons, scorer=fuzz.ratio) if skeletons else None
    return best is not None and best[1] >= SKELETON_MATCH


SKELETON_MATCH = 75


def _names(text: str) -> list[str]:
    found = []
    for match in _CAPITALISED.finditer(text):
        word = re.sub(r"['’]s$", "", match.group(0))
        before = text[:match.start()].rstrip()
        starts = not before or before[-1] in "!?:«\"“(" or (before[-1] == "." and not _TITLE.search(before))
        if starts or word in _NOT_NAMES or len(word) < 3:
            continue  # the first word of a sentence or a quotation is capitalised whatever it is
        found.append(word)
    return found


def _matches(name: str, text: str) -> bool:
    from rapidfuzz import fuzz, process
    from text_unidecode import unidecode

    words = [unidecode(w).casefold() for w in re.findall(r"[\w'’-]{3,}", text)]
    best = process.extractOne(unidecode(name).casefold(), words, scorer=fuzz.ratio) if words else None
    return best is not None and best[1] >= NAME_MATCH


def _known_names_out(text: str) -> str:
    """``text`` with the names Babel gives in French or English (territories, languages, days, months) blanked."""
    return _known_names_pattern().sub(" ", text)


@functools.cache
def _known_names_pattern() -> re.Pattern[str]:
    from babel import Locale

    known: set[str] = set()
    for code in ("fr", "en"):
        locale = Locale.parse(code)
        known.update(locale.territories.values(), locale.languages.values())
        for table in (locale.days["format"]["wide"], locale.months["format"]["wide"]):
            known.update(name for value in table.values() for name in (value, value.capitalize()))
    alternatives = "|".join(re.escape(name) for name in sorted(known, key=len, reverse=True) if len(name) >= 4)
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


_QUOTE = re.compile("[\"«»“”„]")


def quotes(ev: Evidence) -> list[Reason]:
    """The source quotes someone; the translation has no quotation marks."""
    if _QUOTE.search(ev.source) and not _QUOTE.search(ev.target) and "'" not in ev.target and "‘" not in ev.target:
        return [Reason("quotes", Band.MEDIUM, "quotation marks lost")]
    return []


ENGINES_HIGH, ENGINES_MEDIUM = 30.0, 45.0  # chrF between the draft and another engine's output


def engines(ev: Evidence) -> list[Reason]:
    scores = [(engine, agreement(ev.target, text, ev.base)) for engine, text in ev.alternatives if text]
    if not scores:
        return []
    _engine, score = min(scores, key=lambda pair: pair[1])
    if score < ENGINES_HIGH:
        return [Reason("engines", Band.HIGH, f"engines disagree {score:.0f} %")]
    if score < ENGINES_MEDIUM:
        return [Reason("engines", Band.MEDIUM, f"engines disagree {score:.0f} %")]
    return [Reason("engines", Band.LOW, f"engines agree {score:.0f} %")]


def agreement(draft: str, other: str, lang: str) -> float:
    """chrF of the draft against another engine's output (sacrebleu's, as the post-edit figures use)."""
    from sacrebleu.metrics import CHRF

    return CHRF().sentence_score(draft, [other]).score


LONG_SOURCE = 45  # words: the longest 1.6 % of NTREX-128's Arabic sentences (MT drops clauses in them)


def length(ev: Evidence) -> list[Reason]:
    count = len(ev.source.split())
    return [Reason("long", Band.MEDIUM, f"long sentence ({count} words)")] if count > LONG_SOURCE else []


def memory(ev: Evidence) -> list[Reason]:
    if ev.memory_score is not None and not ev.reviewed_memory:
        return [Reason("memory", Band.LOW, f"memory {ev.memory_score} %")]
    return []


SIGNALS = (findings, negation, omission, names, quotes, engines, length, memory)


def item_risks(evidence: Iterable[Evidence]) -> dict[str, Risk]:
    """Each segment's risk, by segment id."""
    return {ev.id: assess(ev) for ev in evidence}
