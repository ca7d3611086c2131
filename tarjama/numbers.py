"""Numbers as Arabic news writes them, and as French and English write them back: the one reading that the QA
checks and the MT answer check share.

A text is read into :class:`Token` s, each with the values it may stand for:

- digits in every system (Western, Arabic-Indic ``٠-٩``, Persian ``۰-۹``) and separator (``١٢٫٤``, ``12,4``,
  ``1 000``, ``1,000``, ``30،000``), with the scale word after them (``300 ألف`` = ``300 000`` = ``300
  thousand``; ``3,5 مليار`` = ``3,5 milliards``; ``£3m``, ``4bn``);
- numeric dates (``23/7/2015``: the month may come back as ``juillet`` or ``July``), times of day (``3 مساءً``
  = ``15 h`` = ``3pm``), abbreviated year ranges (``1950-53``);
- spelled-out numbers in French and English (``sept``, ``twenty-five``, ``un millier``, ``a decade``,
  ``seconde``) and Arabic (``ثلاثة``، ``الثانية``), and Roman numerals (``XVIIe siècle``).

What a source *demands* is its digits (law and decree numbers whole: ``القانون 27-14``); spelled words and
Roman numerals only ever *supply* a value, and a translation's spelled number counts as a number of its own
only where the source carries that value: an article (``un``, ``une``, ``a``, ``one of``) never does. A value
the translation converted (``80 درجة`` -> ``26 degrés``, ``2 بوصات`` -> ``5 cm``) is a conversion, named as
such, not a lost number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from tarjama.arabic import fold
from tarjama.months import months_named

Value = tuple[str, Decimal]  # ("n", 12.4) a number; ("month", 7) a month however it is written

_D = r"[0-9]"
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
_WESTERN = str.maketrans({**{chr(0x0660 + n): str(n) for n in range(10)}, **{chr(0x06F0 + n): str(n) for n in range(10)}})
_NUMBER = re.compile(
    r"(?<![0-9])(?:[0-9]+(?:(?:[.,٫٬'’]|،(?=[0-9]{3}(?![0-9]))|[ \u00a0\u202f](?=[0-9]{3}(?![0-9])))[0-9]+)*)"
)
_LAW_WORDS = ("القانون", "قانون", "المرسوم", "مرسوم", "الظهير", "ظهير", "القرار", "قرار", "رقم", "الأمر", "المنشور")
_REFERENCE = re.compile(rf"(?:{'|'.join(_LAW_WORDS)})(?:\s+(?:رقم|عدد|التنظيمي|الإطار))?\s+({_D}+(?:[-./]{_D}+)+)")
_DMY = re.compile(r"(?<![0-9./-])([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4})(?![0-9])")
_YMD = re.compile(r"(?<![0-9./-])([0-9]{4})([/.-])([0-9]{1,2})\2([0-9]{1,2})(?![0-9./-])")
_AR_TIME = re.compile(r"(?<![0-9.,])([0-9]{1,2})(?:[:.]([0-9]{2}))?\s*(صباح|مساء|ظهر|فجر|ليل|بعد الظهر|ص\b|م\b)")
_AR_HOUR = re.compile(r"الساعة\s+([0-9]{1,2})(?:[:.]([0-9]{2}))?(?![0-9.,])")
_TIME = re.compile(
    r"(?<![0-9.,])([0-9]{1,2})(?:\s?(?:h|:)\s?([0-9]{2})?|[.]([0-9]{2}))?\s?(a\.?m\.?|p\.?m\.?)(?!\w)"
    r"|(?<![0-9.,])([0-9]{1,2})\s?(?:h|:)\s?([0-9]{2})?(?![0-9])(?!\w)",
    re.IGNORECASE,
)
_DECADE = re.compile(r"(?<![0-9])(?:années\s+((?:19|20)?[0-9]0)|((?:19|20)?[0-9]0)['’]?s)(?![0-9\w])", re.IGNORECASE)
_YEAR_RANGE = re.compile(r"(?<![0-9])((?:1[89]|20)[0-9]{2})\s?[-–]\s?([0-9]{2})(?![0-9])")

SCALES = {
    "ar": {"الف": 10**3, "الاف": 10**3, "مليون": 10**6, "ملايين": 10**6, "مليار": 10**9, "مليارات": 10**9,
           "بليون": 10**9, "ترليون": 10**12, "تريليون": 10**12},
    "fr": {"mille": 10**3, "millier": 10**3, "milliers": 10**3, "million": 10**6, "millions": 10**6,
           "milliard": 10**9, "milliards": 10**9, "billion": 10**12, "billions": 10**12, "md": 10**9, "mds": 10**9},
    "en": {"thousand": 10**3, "thousands": 10**3, "million": 10**6, "millions": 10**6, "billion": 10**9,
           "billions": 10**9, "trillion": 10**12, "bn": 10**9, "tn": 10**12, "k": 10**3},
}
SPELLED = {
    "fr": {"zéro": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
           "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
           "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
           "cent": 100, "cents": 100, "premier": 1, "première": 1, "second": 2, "seconde": 2, "deuxième": 2,
           "troisième": 3, "quatrième": 4, "cinquième": 5, "sixième": 6, "septième": 7, "huitième": 8,
           "neuvième": 9, "dixième": 10, "double": 2, "triple": 3, "tiers": 3, "douzaine": 12,
           "décennie": 10, "moitié": Decimal("0.5"), "dizaine": 10,
           "vingtaine": 20, "trentaine": 30, "quarantaine": 40, "cinquantaine": 50, "soixantaine": 60, "centaine": 100},
    "en": {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
           "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
           "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
           "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
           "ninth": 9, "tenth": 10, "dozen": 12, "decade": 10, "half": Decimal("0.5"),
           "twice": 2, "double": 2},
}
# Arabic number words, folded (hamza and taa marbuta forms), with the article and attached particles removed
# before lookup; cardinals masculine and feminine, ordinals, the usual duals.
_AR_SPELLED = {fold(k): v for k, v in {
    "واحد": 1, "واحدة": 1, "أحد": 1, "إحدى": 1, "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2, "ثلاث": 3,
    "ثلاثة": 3, "أربع": 4, "أربعة": 4, "خمس": 5, "خمسة": 5, "ست": 6, "ستة": 6, "سبع": 7, "سبعة": 7, "ثمان": 8,
    "ثماني": 8, "ثمانية": 8, "تسع": 9, "تسعة": 9, "عشر": 10, "عشرة": 10, "عشرون": 20, "عشرين": 20,
    "ثلاثون": 30, "ثلاثين": 30, "أربعون": 40, "أربعين": 40, "خمسون": 50, "خمسين": 50, "مئة": 100, "مائة": 100,
    "مئات": 100, "ألف": 1000, "آلاف": 1000, "ألفين": 2000, "مليون": 10**6, "مليونين": 2 * 10**6, "مليار": 10**9,
    "أول": 1, "أولى": 1, "ثاني": 2, "ثانية": 2, "ثان": 2, "ثالث": 3, "ثالثة": 3, "رابع": 4, "رابعة": 4,
    "خامس": 5, "خامسة": 5, "سادس": 6, "سادسة": 6, "سابع": 7, "سابعة": 7, "ثامن": 8, "ثامنة": 8, "تاسع": 9,
    "تاسعة": 9, "عاشر": 10, "عاشرة": 10, "نصف": Decimal("0.5"), "عقد": 10, "عقدين": 20,
    "شهرين": 2, "عامين": 2, "سنتين": 2, "يومين": 2, "مرتين": 2, "دقيقتين": 2, "ساعتين": 2,
}.items()}
ORDINALS = frozenset({"premier", "première", "second", "seconde", "deuxième", "troisième", "quatrième", "cinquième",
                      "sixième", "septième", "huitième", "neuvième", "dixième", "tiers", "first", "third",
                      "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "double", "twice"})
"""Ranks and multiples: they supply a value ("Seconde Guerre" for "World War Two") but are never compared as
numbers across languages ("second homes" is "résidences secondaires", "a third state" "un pays tiers")."""
_AR_CLITICS = ("وبال", "وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل")
_ROMAN = re.compile(r"(?<![\w])(?:([IVXLCDM]{2,})|([IVX]))(e|er|ème|eme|th)?(?![\w])")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}

_MILES = r"miles?|milles?|mi\b"
_CONVERSIONS = (  # (label, Arabic unit, factor, offset, metric unit in the translation, the unit kept as it was)
    ("mph → km/h", r"ميل[اًا]*\s+في\s+الساعة|أميال\s+في\s+الساعة", Decimal("1.609344"), 0,
     r"km\s?/\s?h|kilom[eè]tres?\s+(?:à|par|an|per)\s+(?:l'|l’)?h", r"mph|miles? (?:an|per) hour|milles? à l.heure"),
    ("miles → km", r"ميل|أميال|اميال", Decimal("1.609344"), 0, r"km|kilom[eè]t(?:re|er)s?", _MILES),
    ("inches → cm", r"بوص|إنش|انش", Decimal("2.54"), 0, r"cm|centim[eè]t(?:re|er)s?|mm", r"inch(?:es)?|pouces?|in\b"),
    ("feet → m", r"قدم|أقدام|اقدام", Decimal("0.3048"), 0, r"m\b|m[eè]t(?:re|er)s?", r"feet|foot|ft\b|pieds?"),
    ("yards → m", r"يارد", Decimal("0.9144"), 0, r"m\b|m[eè]t(?:re|er)s?", r"yards?|yd\b"),
    ("pounds → kg", r"رطل|أرطال|ارطال", Decimal("0.45359237"), 0, r"kg|kilo", r"pounds?|lbs?\b|livres?"),
    ("ounces → g", r"أونص|اونص|أوقي", Decimal("28.3495"), 0, r"g\b|grammes?|grams?", r"ounces?|oz\b|onces?"),
    ("gallons → litres", r"غالون|جالون", Decimal("3.78541"), 0, r"l\b|litres?|liters?", r"gallons?"),
    ("acres → hectares", r"فدان|أفدنة|ايكر|أيكر", Decimal("0.404686"), 0, r"ha\b|hectares?", r"acres?"),
    ("°F → °C", r"درج|فهرنهايت|فهرنهيت", Decimal(5) / Decimal(9), Decimal(-32) * Decimal(5) / Decimal(9),
     r"°\s?C|°(?!\s?F)|degr[eé]s?(?!\s+(?:F|fahrenheit))|celsius", r"°\s?F|fahrenheit|degr[eé]s?\s+(?:F\b|fahrenheit)"),
)


@dataclass(frozen=True)
class Token:
    """One number as written, with every value it may stand for."""

    text: str
    values: frozenset[Value]
    kind: str  # digits, date, time, reference, spelled, roman, month
    start: int = 0
    groups: tuple[Decimal, ...] = field(default=())  # the digit groups of "111 555": a phone number read either way

    @property
    def value(self) -> Decimal | None:
        numbers = sorted(v for k, v in self.values if k == "n")
        return numbers[0] if numbers else None


def western(text: str) -> str:
    """``text`` with every decimal digit written 0-9 (Arabic-Indic and Persian by table, any other by its
    Unicode value)."""
    text = text.translate(_WESTERN)
    if text.isascii() or not _OTHER_DIGIT.search(text):
        return text
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in text)


def references(text: str) -> list[str]:
    """Law and decree numbers of an Arabic source (``27-14``, ``2.19.1086``), digits Western."""
    return [western(m.group(1)) for m in _REFERENCE.finditer(text)]


def number_value(raw: str, lang: str) -> Decimal | None:
    """The value of one written number; ``lang`` says which mark is decimal where it is ambiguous."""
    text = western(raw).replace("٫", ".").replace("٬", ",").replace("،", ",").replace("'", "").replace("’", "")
    text = re.sub(r"[ \u00a0\u202f]", "", text)
    marks = [ch for ch in text if ch in ".,"]
    try:
        if not marks:
            return Decimal(text)
        groups = re.split(r"[.,]", text)
        if len(set(marks)) == 2:  # both: the last one is the decimal mark (1,000.5 / 1.000,5)
            whole, _, fraction = text.rpartition(marks[-1])
            return Decimal(re.sub(r"[.,]", "", whole) + "." + fraction)
        mark = marks[0]
        thousands = all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
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
        return Decimal(whole.replace(",", "").replace(".", "") + "." + fraction)
    except InvalidOperation:
        return None


def _n(*numbers: Decimal | int) -> frozenset[Value]:
    return frozenset(("n", Decimal(v).normalize()) for v in numbers)


def _hours(hour: int, meridiem: str | None) -> frozenset[Value]:
    """A time's hour as it may come back: 3 p.m. is 15 h; without a meridiem, either half of the day. Tagged
    ``h``: an hour is matched by a time or a bare number, never by a spelled word (``deux fourgons``)."""
    if meridiem == "am":
        hours = {hour, hour % 12}
    elif meridiem == "pm" and hour < 12:
        hours = {hour, hour + 12}
    else:
        hours = {hour, hour % 12, hour + 12 if hour < 12 else hour}
    return frozenset(("h", Decimal(h)) for h in hours)


class _Scanner:
    """Collects tokens from patterns in priority order; a span read once is not read again."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.taken: list[tuple[int, int]] = []
        self.tokens: list[Token] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.taken)

    def take(self, start: int, end: int) -> None:
        self.taken.append((start, end))

    def add(self, token: Token) -> None:
        self.tokens.append(token)


def _scale_after(text: str, end: int, lang: str) -> tuple[int, int]:
    """The multiplier of a scale word right after a number (``ألف``, ``milliards``, ``bn``) and where it ends."""
    scales = SCALES.get(lang, {})
    match = re.match(r"[ \u00a0\u202f]?(\w+)", text[end:])
    if not match:
        return 1, end
    word = fold(match.group(1)) if lang == "ar" else match.group(1).casefold()
    if word in scales and (word != "k" or match.start(1) == 0):
        return scales[word], end + match.end()
    if lang == "en" and word == "m" and match.start(1) == 0 and re.search(r"[£$€]\s?[0-9.,]*$", text[:end]):
        return 10**6, end + match.end()
    return 1, end


@lru_cache(maxsize=4)
def _spelled_pattern(lang: str) -> re.Pattern[str]:
    words = sorted(SPELLED[lang], key=len, reverse=True)
    word = "(?:" + "|".join(map(re.escape, words)) + ")"
    article = "(?:a|an|un|une)" if lang in ("en", "fr") else "(?!)"
    scale = "(?:" + "|".join(sorted(map(re.escape, SCALES[lang]), key=len, reverse=True)) + ")"
    return re.compile(
        rf"(?<!\w)(?:((?:quatre-vingts?|{word})(?:-(?:et-)?{word})*)|({article}))(?:[ \u00a0]+({scale}))?(?!\w)",
        re.IGNORECASE,
    )


def _spelled_value(words: str, lang: str) -> Decimal:
    """``vingt-cinq`` 25, ``quatre-vingt-dix`` 90, ``deux-cents`` 200."""
    total = Decimal(0)
    for part in re.sub(r"quatre-vingts?", "quatre_vingt", words.casefold()).split("-"):
        if part == "et":
            continue
        value = Decimal(80) if part == "quatre_vingt" else Decimal(SPELLED[lang][part])
        total = total * value if value == 100 and total else total + value
    return total


def _roman(numeral: str) -> int | None:
    total = 0
    for ch, nxt in zip(numeral, [*numeral[1:], ""], strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt and _ROMAN_VALUES[nxt] > value else value
    return total if _to_roman(total) == numeral else None


def _to_roman(value: int) -> str:
    out = ""
    for number, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                            (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while value >= number:
            out += letters
            value -= number
    return out


@lru_cache(maxsize=4096)
def read(text: str, lang: str) -> tuple[Token, ...]:
    """Every number of ``text`` (written in ``ar``, ``fr`` or ``en``), in order of appearance (cached: the checks
    read the same source and translations several times)."""
    text = western(text)
    scan = _Scanner(text)
    if lang == "ar":
        for match in _REFERENCE.finditer(text):
            scan.add(Token(match.group(1), frozenset({("ref", Decimal(0))}), "reference", match.start(1)))
            scan.take(match.start(1), match.end(1))
    for pattern, order in ((_DMY, (1, 3, 4)), (_YMD, (4, 3, 1))):
        for match in pattern.finditer(text):
            if not scan.free(match.start(), match.end()):
                continue
            day, month, year = (int(match.group(g)) for g in order)
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            scan.take(match.start(), match.end())
            scan.add(Token(match.group(order[0]), _n(day), "date", match.start(order[0])))
            scan.add(Token(match.group(3), _n(month) | {("month", Decimal(month))}, "date", match.start(3)))
            scan.add(Token(match.group(order[2]), _n(year), "date", match.start(order[2])))
    _times(scan, lang)
    if lang != "ar":
        for match in _DECADE.finditer(text):  # "les années 30", "the 1930s", "in his 40s"
            decade = match.group(1) or match.group(2)
            if scan.free(match.start(), match.end()):
                scan.take(match.start(), match.end())
                short = int(decade[-2:])
                scan.add(Token(match.group(0), _n(int(decade), short, 1900 + short, 2000 + short), "digits", match.start()))
        for match in _YEAR_RANGE.finditer(text):
            if scan.free(match.start(), match.end()):
                scan.take(match.start(), match.end())
                first, second = match.group(1), match.group(2)
                scan.add(Token(first, _n(int(first)), "digits", match.start(1)))
                scan.add(Token(second, _n(int(second), int(first[:2] + second)), "digits", match.start(2)))
    for match in _NUMBER.finditer(text):
        raw = match.group(0).rstrip(".,'’ \u00a0\u202f")
        start, end = match.start(), match.start() + len(raw)
        if not raw or not scan.free(start, end):
            continue
        parts = re.split(r"[ \u00a0\u202f]", raw)
        if len(parts) > 1 and (len(parts[0]) > 3 or parts[0].startswith("0")):  # "0800 555 111": not a thousands group
            for part in re.finditer(r"[0-9][0-9.,]*", raw):
                scan.add(Token(part.group(0), _n(Decimal(re.sub(r"[.,]", "", part.group(0)))), "digits", start + part.start()))
            scan.take(start, end)
            continue
        value = number_value(raw, lang)
        if value is None:
            continue
        scale, scale_end = _scale_after(text, end, lang)
        groups = tuple(Decimal(g) for g in parts) if len(parts) > 1 else ()
        scan.take(start, scale_end)
        hour = {("h", value)} if scale == 1 and value == value.to_integral_value() and 0 <= value <= 24 else set()
        scan.add(Token(text[start:scale_end], _n(value * scale) | hour, "digits", start, groups))
    if lang in SPELLED:
        for match in _spelled_pattern(lang).finditer(text):
            if not scan.free(match.start(), match.end()):
                continue
            words, article, scale_word = match.groups()
            if article and not scale_word:
                continue  # an article alone is never a number
            base = Decimal(1) if article else _spelled_value(words, lang)
            if base == 1 and not scale_word:
                continue  # "un", "une", "one of", "premier": an article or a rank, not a value to compare
            scale = SCALES[lang][scale_word.casefold()] if scale_word else 1
            kind = "ordinal" if words and words.casefold() in ORDINALS else "spelled"
            # "six million" also stands for the "Six" of "Six autres millions": words are read loosely
            scan.add(Token(match.group(0), _n(base * scale, base) if scale_word and not article else _n(base * scale),
                           kind, match.start()))
        for match in _ROMAN.finditer(text):
            numeral, single, suffix = match.groups()
            value = _roman(numeral or single)
            if value and (numeral or suffix) and scan.free(match.start(), match.end()):
                scan.add(Token(match.group(0), _n(value), "roman", match.start()))
        for month in months_named(text, lang):
            scan.add(Token(str(month), frozenset({("month", Decimal(month))}), "month", 0))
    elif lang == "ar":
        for match in re.finditer(r"[\u0621-\u064a\u0640\u064b-\u0652]+", text):
            word = fold(match.group(0))
            for clitic in _AR_CLITICS:
                if word.startswith(clitic) and word[len(clitic):] in _AR_SPELLED and len(word) > len(clitic) + 1:
                    word = word[len(clitic):]
                    break
            if word in _AR_SPELLED and scan.free(match.start(), match.end()):
                scan.add(Token(match.group(0), _n(_AR_SPELLED[word]), "spelled", match.start()))
    return tuple(sorted(scan.tokens, key=lambda t: t.start))


def _times(scan: _Scanner, lang: str) -> None:
    text = scan.text
    if lang == "ar":
        matches = [(m, m.group(3)) for m in _AR_TIME.finditer(text)] + [(m, None) for m in _AR_HOUR.finditer(text)]
        for match, when in matches:
            if not scan.free(match.start(1), match.end(2) if match.group(2) else match.end(1)):
                continue
            meridiem = None if when is None else ("am" if when.startswith(("صباح", "فجر", "ص")) else "pm")
            _add_time(scan, match, int(match.group(1)), match.group(2), meridiem)
        return
    for match in _TIME.finditer(text):
        if match.group(1):
            hour, minutes = int(match.group(1)), match.group(2) or match.group(3)
            meridiem = "am" if match.group(4).casefold().startswith("a") else "pm"
        else:
            hour, minutes, meridiem = int(match.group(5)), match.group(6), None
            if not re.search(r"h", match.group(0)) and not minutes:
                continue
        if hour > 24 or not scan.free(match.start(), match.end()):
            continue
        _add_time(scan, match, hour, minutes, meridiem)


def _add_time(scan: _Scanner, match: re.Match[str], hour: int, minutes: str | None, meridiem: str | None) -> None:
    scan.take(match.start(), match.end())
    scan.add(Token(match.group(0).strip(), _hours(hour, meridiem), "time", match.start()))
    if minutes and int(minutes):
        scan.add(Token(minutes, _n(int(minutes)), "time", match.start()))


def match(demands: Iterable[Token], supply: Iterable[Token]) -> list[Token]:
    """The demanded tokens that no token of ``supply`` stands for (each supply token serves one demand)."""
    pool = list(supply)
    unmatched: list[Token] = []
    for token in sorted(demands, key=lambda t: (len(t.values), t.start)):
        found = next((i for i, s in enumerate(pool) if s.values & token.values), None)
        if found is None:
            unmatched.append(token)
        else:
            pool.pop(found)
    still: list[Token] = []
    for token in unmatched:  # "111 555 0800" against "0800 555 111": digit groups, in whatever order
        if token.groups:
            hits = [next((i for i, s in enumerate(pool) if ("n", g.normalize()) in s.values), None) for g in token.groups]
            if all(h is not None for h in hits) and len(set(hits)) == len(hits):
                for i in sorted(hits, reverse=True):  # type: ignore[type-var]
                    pool.pop(i)
                continue
        still.append(token)
    return sorted(still, key=lambda t: t.start)


_RANGE_REST = r"\s?(?:(?:à|a|-|–|to|and|et)\s?[0-9][0-9.,]*\s?)?"  # "5 à 10 cm": the unit after the range's end


@dataclass(frozen=True)
class Conversion:
    """A source number the translation gives converted for its readers (``80 درجة -> 26 degrés``)."""

    source: Token
    target: Token
    unit: str

    def describe(self) -> str:
        return f"{self.source.text} ({self.unit}: {self.target.text})"


def conversions(source: str, demands: Sequence[Token], target: str, target_tokens: Sequence[Token]) -> list[Conversion]:
    """Which of the unmatched ``demands`` of ``source`` come back converted to metric units in ``target``."""
    found: list[Conversion] = []
    used: set[int] = set()
    source_text = western(source)
    target_text = western(target)
    for token in demands:
        value = token.value
        if value is None:
            continue
        after = source_text[token.start + len(token.text):token.start + len(token.text) + 40]
        for unit, arabic, factor, offset, metric, kept in _CONVERSIONS:
            if not re.match(rf"\s*(?:[\w-]+\s+){{0,2}}?(?:{arabic})", after):
                continue
            if any(re.match(rf"{_RANGE_REST}(?:{kept})", target_text[t.start + len(t.text):], re.IGNORECASE)
                   for t in target_tokens if t.kind == "digits"):
                break  # the translation keeps the source's unit beside the conversion: that number must be the source's
            expected = value * factor + offset
            hit = next((i for i, t in enumerate(target_tokens) if i not in used and t.value is not None
                        and t.kind in ("digits", "spelled")
                        and abs(t.value - expected) <= max(abs(expected) * Decimal("0.12"), Decimal(1))
                        and re.match(rf"{_RANGE_REST}(?:{metric})", target_text[t.start + len(t.text):], re.IGNORECASE)), None)
            if hit is not None:
                used.add(hit)
                found.append(Conversion(token, target_tokens[hit], unit))
                break
    return found


@dataclass(frozen=True)
class Missing:
    """What a translation lacks of its source's numbers."""

    references: list[str]  # law and decree numbers not kept whole
    values: list[Token]  # numbers not found, in any form
    conversions: list[Conversion]  # numbers found converted to other units: said, never blocking

    def __bool__(self) -> bool:
        return bool(self.references or self.values)


def missing(source: str, target: str, lang: str) -> Missing:
    """The numbers of ``source`` (Arabic) that ``target`` (in ``lang``) does not carry."""
    base = lang.split("_")[0]
    target_western = western(target)
    refs = references(source)
    lost_refs = [r for r in refs if not re.search(rf"(?<![0-9]){re.escape(r)}(?![0-9])", target_western)]
    demands = [t for t in read(source, "ar") if t.kind in ("digits", "date", "time")]
    supply = read(target, base)
    unmatched = match(demands, supply)
    converted = conversions(source, unmatched, target, supply)
    explained = {id(c.source) for c in converted}
    return Missing(lost_refs, [t for t in unmatched if id(t) not in explained], converted)


def differences(source: str, mine: str, lang: str, other: str, other_lang: str) -> tuple[list[Token], list[Token]]:
    """The numbers of one translation the other does not carry, both ways: (in ``mine`` only, in ``other`` only).
    A number counts where the source carries its value, in digits or words (``ست شبكات``: ``6 chaînes`` against
    ``seven networks``), never a lone "one" or an article; what a translator added for the reader (``le 29
    septembre`` for "Saturday", ``100 %`` for "completely") and a value converted from the source's units
    count on neither side: the per-language ``numbers`` check already holds each translation to its source."""
    source_tokens = read(source, "ar")
    carried = frozenset().union(*(t.values for t in source_tokens)) if source_tokens else frozenset()
    demands = [t for t in source_tokens if t.kind in ("digits", "date", "time")]
    sides = []
    for text, code in ((mine, lang), (other, other_lang)):
        tokens = read(text, code.split("_")[0])
        sides.append((tokens, conversions(source, match(demands, tokens), text, tokens)))
    converted_targets = {id(c.target) for _, found in sides for c in found}
    converted_values = frozenset().union(*(c.source.values for _, found in sides for c in found))

    def demanded(tokens: Sequence[Token]) -> list[Token]:
        return [t for t in tokens if id(t) not in converted_targets and not t.values & converted_values
                and t.kind in ("digits", "date", "time", "spelled") and t.values & carried
                and any(v >= 2 for k, v in t.values if k == "n")]

    def distinct(tokens: list[Token]) -> list[Token]:  # "deux chaînes ... 2 ans" against "two years": values, not counts
        seen: set[frozenset[Value]] = set()
        kept = []
        for token in tokens:
            numbers = frozenset(v for v in token.values if v[0] == "n")
            if numbers not in seen:
                seen.add(numbers)
                kept.append(token)
        return kept

    (mine_tokens, _), (other_tokens, _) = sides
    return (match(distinct(demanded(mine_tokens)), other_tokens),
            match(distinct(demanded(other_tokens)), mine_tokens))
