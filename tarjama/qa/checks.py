"""The named QA checks: each one function whose docstring's first line is its message.

A check takes a :class:`TranslatedSegment` (the Arabic source, one translation, its
language, the glossary) and returns the detail of what is wrong, or None.
Severity ``critical`` blocks approval unless the reviewer overrides that
finding with a reason; ``warning`` is shown, never blocks. Each check can be
switched off in the settings (``[qa] off = ["length"]``). URLs, e-mail
addresses, brackets and repeated words reuse translate-toolkit's checks
(they behave on Arabic); numbers, dates, Arabic script and the glossary are
tarjama's, written for Arabic news.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from tarjama.glossary import Glossary, Term
from tarjama.languages import IDENTIFIABLE
from tarjama.mt.checks import not_a_translation, provider_warning, wrong_language
from tarjama.numbers import differences, missing
from tarjama.qa.dates import missing_months
from tarjama.textutil import is_arabic_letter

_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]")


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"


@dataclass(frozen=True)
class TranslatedSegment:
    """One translated segment, as the checks see it."""

    id: str
    source: str
    target: str
    lang: str
    glossary: Glossary | None = None
    others: dict[str, str] = field(default_factory=dict)  # the same segment, reviewed, in other languages (lang -> text)
    drafts: dict[str, str] = field(default_factory=dict)  # the same segment, not yet reviewed, in other languages

    @property
    def base(self) -> str:
        return self.lang.split("_")[0]

    def terms(self) -> list[Term]:
        return self.glossary.found_in(self.source) if self.glossary else []


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    run: Callable[[TranslatedSegment], str | None]

    @property
    def message(self) -> str:
        return (self.run.__doc__ or self.name).strip().splitlines()[0]


CHECKS: dict[str, Check] = {}


CheckFunction = Callable[[TranslatedSegment], str | None]  # what is wrong with a segment, or None


def check(name: str, severity: Severity) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under ``name``: every catalog is checked with it (unless ``[qa] off`` names it)."""

    def register(fn: CheckFunction) -> CheckFunction:
        CHECKS[name] = Check(name, severity, fn)
        return fn

    return register


def _toolkit(method: str, seg: TranslatedSegment) -> str | None:
    from translate.filters import checks as tt

    try:
        getattr(_toolkit_checker(), method)(seg.source, seg.target)
    except tt.FilterFailure as failure:
        return str(failure)
    return None


@functools.cache
def _toolkit_checker():
    """translate-toolkit's checker, built once and shared (it keeps no state between calls)."""
    from translate.filters import checks as tt

    return tt.StandardChecker()


@check("numbers", Severity.CRITICAL)
def numbers(seg: TranslatedSegment) -> str | None:
    """A number of the source is missing or changed in the translation."""
    lost = missing(seg.source, seg.target, seg.base)
    parts = [f"{ref} (a reference: keep it whole)" for ref in lost.references] + [t.text for t in lost.values]
    return ", ".join(parts) or None


@check("unit-conversion", Severity.WARNING)
def unit_conversion(seg: TranslatedSegment) -> str | None:
    """A number of the source comes back converted to another unit: check the conversion."""
    return ", ".join(c.describe() for c in missing(seg.source, seg.target, seg.base).conversions) or None


@check("dates", Severity.CRITICAL)
def dates(seg: TranslatedSegment) -> str | None:
    """A month of the source is not named in the translation."""
    return ", ".join(missing_months(seg.source, seg.target, seg.base)) or None


@check("arabic-script", Severity.CRITICAL)
def arabic_script(seg: TranslatedSegment) -> str | None:
    """Arabic script is left in the translation."""
    kept = [t.ar for t in seg.terms() if t.rendering(seg.base) == t.ar]
    text = seg.target
    for term in kept:
        text = text.replace(term, " ")
    if not _ARABIC_LETTER.search(text):
        return None
    words = [w for w in text.split() if any(is_arabic_letter(ch) for ch in w)]
    return " ".join(words[:5]) or None


@check("glossary", Severity.WARNING)
def glossary(seg: TranslatedSegment) -> str | None:
    """A glossary term is not rendered as the glossary says."""
    lost = [f"{t.ar} -> {t.rendering(seg.base)}" for t in seg.terms()
            if not _has_rendering(seg.target, t.rendering(seg.base))]
    return ", ".join(lost) or None


@check("mt-commentary", Severity.CRITICAL)
def mt_commentary(seg: TranslatedSegment) -> str | None:
    """The translation is not one: a machine's commentary, refusal or warning, its prompt, or words to the reader."""
    return provider_warning(seg.target) or not_a_translation(seg.target)


@check("language", Severity.CRITICAL)
def language(seg: TranslatedSegment) -> str | None:
    """The translation is in another language than its catalog's."""
    return wrong_language(seg.target, seg.base) if seg.base in IDENTIFIABLE else None


@check("urls", Severity.CRITICAL)
def urls(seg: TranslatedSegment) -> str | None:
    """A URL of the source is missing or changed."""
    return _toolkit("urls", seg)


@check("emails", Severity.CRITICAL)
def emails(seg: TranslatedSegment) -> str | None:
    """An e-mail address of the source is missing or changed."""
    return _toolkit("emails", seg)


@check("handles", Severity.WARNING)
def handles(seg: TranslatedSegment) -> str | None:
    """A social media handle or hashtag of the source is missing."""
    tags = re.findall(r"(?<!\w)[@#][A-Za-z0-9_]{2,}", seg.source)
    lost = [t for t in tags if t not in seg.target]
    return ", ".join(lost) or None


@check("brackets", Severity.WARNING)
def brackets(seg: TranslatedSegment) -> str | None:
    """Brackets are not balanced as in the source."""
    return _toolkit("brackets", seg)


@check("quotes", Severity.WARNING)
def quotes(seg: TranslatedSegment) -> str | None:
    """Quotation marks are not balanced."""
    text = seg.target
    if text.count("«") != text.count("»") or text.count("“") != text.count("”") or text.count('"') % 2:
        return "open and closing quotation marks differ in number"
    return None


@check("repeated-word", Severity.WARNING)
def repeated_word(seg: TranslatedSegment) -> str | None:
    """A word is repeated."""
    return _toolkit("doublewords", seg)


_NBSP = "\u00a0\u202f"


@check("french-typography", Severity.WARNING)
def french_typography(seg: TranslatedSegment) -> str | None:
    """French punctuation without its no-break space (before : ; ! ? and inside « »)."""
    if seg.base != "fr":
        return None
    text = re.sub(r"https?://\S+|\d+:\d+", "", seg.target)  # URLs and times take no space
    bad = re.findall(rf"(?:[^\s{_NBSP}]|[ ])[:;!?»]", text) + re.findall(rf"«(?:[^{_NBSP}])", text)
    return " ".join(dict.fromkeys(b.strip() or b for b in bad))[:40] or None


@check("length", Severity.WARNING)
def length(seg: TranslatedSegment) -> str | None:
    """The translation's length is far off the usual ratio to the source."""
    if len(seg.source) < 30:
        return None
    ratio = len(seg.target) / len(seg.source)
    return f"{ratio:.1f}x the source's length" if ratio < 0.6 or ratio > 2.6 else None


CROSS_CHECKS: dict[str, tuple[Severity, str]] = {
    "numbers-across": (Severity.CRITICAL, "The reviewed translation into another language carries other numbers."),
    "numbers-across-draft": (Severity.WARNING, "The other language's unreviewed draft carries other numbers."),
    "glossary-across": (Severity.WARNING, "The translations into other languages render a glossary name differently."),
}


def cross_language(seg: TranslatedSegment) -> list[tuple[str, str]]:
    """Findings that compare this translation with the same segment in the other languages: (check, detail).
    No single-language tool does this; a number right in English and wrong in French is caught here even
    where the source was read ambiguously. Only a *reviewed* translation can block this one: a difference
    from another language's unreviewed draft is a warning (each language is decided on its own)."""
    findings = []
    for lang, text, name in [*((lang, text, "numbers-across") for lang, text in seg.others.items()),
                             *((lang, text, "numbers-across-draft") for lang, text in seg.drafts.items())]:
        if not text:
            continue
        base = lang.split("_")[0]
        mine, theirs = differences(seg.source, seg.target, seg.base, text, base)
        parts = [f"{t.text} here, not in {lang}" for t in mine] + [f"{t.text} in {lang}, not here" for t in theirs]
        if parts:
            findings.append((name, "; ".join(parts)))
        for term in seg.terms():
            here = _has_rendering(seg.target, term.rendering(seg.base))
            there = _has_rendering(text, term.rendering(base))
            if here != there:
                findings.append(("glossary-across", f"{term.ar}: as the glossary says in {seg.lang if here else lang} only"))
    return findings


def _has_rendering(text: str, rendering: str) -> bool:
    """Whether ``text`` holds ``rendering``, articles and case aside (``des Nations unies`` has ``les Nations unies``)."""
    core = re.sub(r"^(?:les |le |la |l'|l’|the )", "", rendering.strip(), flags=re.IGNORECASE)
    return core.casefold() in text.casefold().replace("’", "'")


def check_names() -> list[str]:
    """Every check a reviewer can name (``[qa] off``, ``--override SEGMENT:CHECK=REASON``)."""
    return [*CHECKS, *CROSS_CHECKS]
