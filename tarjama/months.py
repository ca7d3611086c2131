"""Month names in Arabic news: the one table that ingest (dates in the text), QA (months kept) and the number
reading (numeric dates) share.

Arabic writes Gregorian months three ways (Egyptian and Gulf ``يناير، يونيه، يوليه``; Maghreb
``يناير، ماي، يوليوز، غشت، شتنبر، نونبر، دجنبر``, Algeria and Tunisia ``جانفي، جوان، جويلية، أوت``; Levant
and Iraq ``كانون الثاني، شباط، آذار``...) and uses Hijri months (``رمضان``, ``ذو الحجة``). Names are
compared folded (hamza, alef and taa marbuta forms) where they are looked for in running text; ingest reads
dates as written, so the table lists the spellings with and without hamza that news copy uses.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from tarjama.arabic import fold

GREGORIAN: dict[int, tuple[str, ...]] = {
    1: ("يناير", "كانون الثاني", "جانفي"),
    2: ("فبراير", "شباط", "فيفري"),
    3: ("مارس", "آذار"),
    4: ("أبريل", "ابريل", "إبريل", "نيسان", "أفريل"),
    5: ("مايو", "ماي", "أيار"),
    6: ("يونيو", "يونيه", "حزيران", "جوان"),
    7: ("يوليو", "يوليه", "يوليوز", "تموز", "جويلية"),
    8: ("أغسطس", "اغسطس", "غشت", "آب", "أوت"),
    9: ("سبتمبر", "شتنبر", "أيلول"),
    10: ("أكتوبر", "اكتوبر", "تشرين الأول"),
    11: ("نوفمبر", "نونبر", "تشرين الثاني"),
    12: ("ديسمبر", "دجنبر", "كانون الأول"),
}
# Hijri month -> (French press spellings, English press spellings), as regular expressions over plain text.
HIJRI: dict[str, tuple[str, str]] = {
    "محرم": ("mouharram|muharram|moharram", "muharram"), "صفر": ("safar", "safar"),
    "ربيع الأول": ("rabi", "rabi"), "ربيع الثاني": ("rabi", "rabi"), "ربيع الآخر": ("rabi", "rabi"),
    "جمادى الأولى": ("joumada|jumada|djoumada", "jumada"), "جمادى الآخرة": ("joumada|jumada|djoumada", "jumada"),
    "جمادى الثانية": ("joumada|jumada|djoumada", "jumada"), "رجب": ("rajab|radjab", "rajab"),
    "شعبان": ("chaabane|chaâbane|shaaban|sha'ban|chaban", "sha'?ban|shaaban"),
    "رمضان": ("ramadan|ramadhan", "ramadan|ramadhan"), "شوال": ("chawwal|shawwal|chaoual", "shawwal"),
    "ذو القعدة": ("dhou al-qi|dhul-qi|dhu al-qi|kaada|qaada|qi'?dah", "dhu al-qi|dhul-qi|qi'?dah"),
    "ذو الحجة": ("dhou al-hijja|dhul-hijja|dhu al-hijja|hijja", "dhu al-hijja|dhul-hijja|hijja"),
}
# Words that share a month's letters in running text: مارس is also "he practised", مايو Theresa May, جوان the
# name Joan, آب a father; only a day number or a year beside them, or a word that introduces a time before
# them (شهر، في، منذ، خلال، مطلع ...), makes them a month.
AMBIGUOUS = frozenset(fold(word) for word in ("مارس", "ماي", "مايو", "آب", "صفر", "جوان", "أوت"))
_TIME_CUES = frozenset(fold(word) for word in (
    "شهر", "في", "منذ", "خلال", "حتى", "بداية", "نهاية", "أواخر", "أوائل", "مطلع", "منتصف", "قبل", "بعد", "من"))


def _folded_numbers() -> dict[str, int]:
    return {fold(name): number for number, names in GREGORIAN.items() for name in names}


MONTH_NUMBER: dict[str, int] = _folded_numbers()
"""Folded Arabic Gregorian month name -> month number."""


def month_number(name: str) -> int | None:
    """The month an Arabic name means (any spelling above), or None."""
    return MONTH_NUMBER.get(fold(name))


@lru_cache(maxsize=1)
def _month_pattern() -> tuple[re.Pattern[str], dict[str, int | str]]:
    """One pattern for every month name (folded), longest first; folded name -> month number or Hijri key."""
    names: dict[str, int | str] = dict(MONTH_NUMBER)
    for name in HIJRI:
        names.setdefault(fold(name), name)
    alternatives = "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:ب|و|في|ل)?({alternatives})(?!\w)"), names


def months_in(source: str) -> list[tuple[str, int | str]]:
    """(Arabic name as written, month number or Hijri key) for each month named in ``source``, once each."""
    folded = fold(source)
    pattern, names = _month_pattern()
    found: list[tuple[str, int | str]] = []
    seen: set[int | str] = set()
    for match in pattern.finditer(folded):
        key = match.group(1)
        if key in AMBIGUOUS:
            near = folded[max(0, match.start() - 6):match.end() + 10]
            before = folded[:match.start()].split()[-1:]
            if match.group(0) != key or not (re.search(r"\d", near) or (before and before[0] in _TIME_CUES)):
                continue
        month = names[key]
        if month not in seen:
            seen.add(month)
            found.append((source_span(source, folded, match.start(1), match.end(1)), month))
    return found


def source_span(source: str, folded: str, start: int, end: int) -> str:
    """The words of ``source`` behind a match in its folded form (folding drops harakat, so offsets differ)."""
    if len(source) == len(folded):
        return source[start:end]
    return folded[start:end]


@lru_cache(maxsize=8)
def month_names(lang: str) -> dict[int, str]:
    """Babel's wide month names for ``lang`` (``fr``: ``janvier``; ``en``: ``January``)."""
    from babel import Locale

    return dict(Locale.parse(lang).months["format"]["wide"])


@lru_cache(maxsize=8)
def month_pattern(lang: str) -> re.Pattern[str]:
    """Every way ``lang`` writes a month (wide; abbreviated, with its point in French, where ``sept`` is seven;
    English ``Sept``), over :func:`plain` text; the match's ``lastgroup`` names the month, ``m1`` .. ``m12``."""
    from babel import Locale

    locale = Locale.parse(lang)
    alternatives = []
    for number in range(1, 13):
        wide = plain(locale.months["format"]["wide"][number])
        forms = {wide, plain(locale.months["format"]["abbreviated"][number]).rstrip(".")}
        if lang == "en":
            forms |= {wide[:3], "sept" if number == 9 else ""}
        forms.discard("")
        short = sorted((f for f in forms if f != wide), key=len, reverse=True)
        body = "|".join([re.escape(wide), *(re.escape(f) + (r"\.?" if lang == "en" else r"\.") for f in short)])
        alternatives.append(f"(?P<m{number}>{body})")
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def months_named(text: str, lang: str) -> list[int]:
    """The Gregorian months ``text`` (French or English) names, in order."""
    return [int(match.lastgroup[1:]) for match in month_pattern(lang).finditer(plain(text))]


def plain(text: str) -> str:
    """Casefolded, accents dropped: ``Août`` and ``aout`` read alike."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch))
