"""Numbers as Arabic news writes them, and as French and English write them back.

Arabic copy mixes Western digits, Arabic-Indic (٠-٩) and Persian (۰-۹) digits,
the Arabic decimal separator ``٫`` and thousands separator ``٬``, and, in the
Maghreb, ``,`` as the decimal mark. French writes ``12,4`` and ``1 000``
(space or no-break space), English ``12.4`` and ``1,000``. Values are compared
as :class:`~decimal.Decimal`, so ``١٢٫٤`` matches ``12,4`` in French and
``12.4`` in English, and ``1.000.000`` matches ``1 000 000``.

Law and decree references (``القانون 27-14``, ``المرسوم 2.19.1086``) are
identifiers, not arithmetic: they must come back whole, character for
character once digits are Western.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from decimal import Decimal, InvalidOperation
from functools import lru_cache

_DIGIT = r"[0-9٠-٩۰-۹]"
_NUMBER = re.compile(
    rf"(?<![0-9٠-٩۰-۹])({_DIGIT}+(?:(?:[.,٫٬'’]|[ \u00a0\u202f](?={_DIGIT}{{3}}(?![0-9٠-٩۰-۹])))({_DIGIT}+))*)"
)
_LAW_WORDS = ("القانون", "قانون", "المرسوم", "مرسوم", "الظهير", "ظهير", "القرار", "قرار", "رقم", "الأمر", "المنشور")
_REFERENCE = re.compile(rf"(?:{'|'.join(_LAW_WORDS)})(?:\s+(?:رقم|عدد|التنظيمي|الإطار))?\s+({_DIGIT}+(?:[-./]{_DIGIT}+)+)")
_LATIN_REFERENCE = re.compile(r"(?<![0-9])([0-9]+(?:[-./][0-9]+)+)(?![0-9])")
SPELLED = {
    "fr": {"zéro": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
           "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "premier": 1, "première": 1},
    "en": {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "first": 1},
}


_WESTERN = str.maketrans({**{chr(0x0660 + n): str(n) for n in range(10)}, **{chr(0x06F0 + n): str(n) for n in range(10)}})


def western(text: str) -> str:
    """``text`` with every decimal digit written 0-9 (Arabic-Indic and Persian digits by table, any other by
    its Unicode value)."""
    text = text.translate(_WESTERN)
    if text.isascii() or not any(ch.isdigit() and not ch.isascii() for ch in text):
        return text
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in text)


def references(text: str) -> list[str]:
    """Law and decree numbers of an Arabic source (``27-14``, ``2.19.1086``), digits Western."""
    return [western(m.group(1)) for m in _REFERENCE.finditer(text)]


def _value(raw: str, lang: str) -> Decimal | None:
    """The value of one written number; ``lang`` says which mark is decimal where it is ambiguous."""
    text = western(raw).replace("٫", ".").replace("٬", ",").replace("'", "").replace("’", "")
    text = re.sub(r"[ \u00a0\u202f]", "", text)
    marks = [ch for ch in text if ch in ".,"]
    if not marks:
        return Decimal(text)
    groups = re.split(r"[.,]", text)
    if len(set(marks)) == 2:  # both: the last one is the decimal mark (1,000.5 / 1.000,5)
        decimal_mark = marks[-1]
        whole, _, fraction = text.rpartition(decimal_mark)
        return Decimal(re.sub(r"[.,]", "", whole) + "." + fraction)
    mark = marks[0]
    thousands = all(len(g) == 3 for g in groups[1:]) and len(groups[0]) <= 3
    if len(marks) > 1:  # 1.000.000 or 1,000,000: groups of a thousand
        return Decimal("".join(groups)) if thousands else None
    if lang == "fr":
        decimal_mark = "," if not (mark == "." and thousands) else None
    elif lang == "en":
        decimal_mark = "." if not (mark == "," and thousands) else None
    else:  # Arabic: ٫ is decimal (made '.' above); a mark before exactly three digits groups thousands
        decimal_mark = None if thousands else mark
    if decimal_mark is None:
        return Decimal("".join(groups))
    whole, _, fraction = text.partition(decimal_mark)
    try:
        return Decimal(whole.replace(",", "").replace(".", "") + "." + fraction)
    except InvalidOperation:
        return None


def values(text: str, lang: str, *, skip: list[str] | None = None) -> Counter[Decimal]:
    """The numbers of ``text`` (written in ``lang``: ``ar``, ``fr`` or ``en``) as values; reference numbers in
    ``skip`` are left out (they are compared whole), and small numbers spelled out in the target count."""
    text = western(text)
    for reference in skip or ():
        text = text.replace(reference, " ")
    found: Counter[Decimal] = Counter()
    for match in _NUMBER.finditer(text):
        raw = match.group(1).rstrip(".,'’")
        try:
            value = _value(raw, lang)
        except InvalidOperation:
            value = None
        if value is not None:
            found[value.normalize()] += 1
    spelled = _spelled(lang)
    if spelled is not None:
        for word in spelled.findall(text):
            found[Decimal(SPELLED[lang][word.casefold()])] += 1
    return found


@lru_cache(maxsize=8)
def _spelled(lang: str) -> re.Pattern[str] | None:
    words = SPELLED.get(lang)
    if not words:
        return None
    return re.compile(r"(?<!\w)(" + "|".join(sorted(words, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)


def missing_values(source: str, target: str, lang: str) -> tuple[list[str], list[str]]:
    """What ``target`` lacks of ``source``: (reference numbers not kept whole, number values not found)."""
    refs = references(source)
    target_western = western(target)
    lost_refs = [r for r in refs if not re.search(rf"(?<![0-9]){re.escape(r)}(?![0-9])", target_western)]
    kept_refs = [r for r in refs if r not in lost_refs]
    have = values(target, lang, skip=kept_refs)
    lost: list[str] = []
    for value, count in values(source, "ar", skip=refs).items():
        if have[value] < count:
            lost.append(format(value, "f"))
    return lost_refs, lost
