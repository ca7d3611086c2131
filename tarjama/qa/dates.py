"""Month names in Arabic news, and the month the French or English translation must name.

Arabic writes Gregorian months three ways (Egyptian and Gulf ``يناير``; Maghreb
``يناير، ماي، يوليوز، غشت، شتنبر، نونبر، دجنبر``; Levant and Iraq
``كانون الثاني، شباط، آذار``...) and uses Hijri months (``رمضان``, ``ذو الحجة``).
Each is mapped to the month it means; the translation must name that month in
its language (Babel's month names; the Hijri months in the spellings the
French and English press use).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from tarjama.arabic import fold

GREGORIAN = {
    1: ["يناير", "كانون الثاني", "جانفي"], 2: ["فبراير", "شباط", "فيفري"], 3: ["مارس", "آذار"],
    4: ["أبريل", "ابريل", "نيسان", "أفريل"], 5: ["مايو", "ماي", "أيار"], 6: ["يونيو", "يونيه", "حزيران", "جوان"],
    7: ["يوليو", "يوليوز", "تموز", "جويلية"], 8: ["أغسطس", "غشت", "آب", "أوت"], 9: ["سبتمبر", "شتنبر", "أيلول"],
    10: ["أكتوبر", "تشرين الأول"], 11: ["نوفمبر", "نونبر", "تشرين الثاني"], 12: ["ديسمبر", "دجنبر", "كانون الأول"],
}
HIJRI = {
    "محرم": ("mouharram|muharram|moharram", "muharram"), "صفر": ("safar", "safar"),
    "ربيع الأول": ("rabi", "rabi"), "ربيع الثاني": ("rabi", "rabi"), "ربيع الآخر": ("rabi", "rabi"),
    "جمادى الأولى": ("joumada|jumada|djoumada", "jumada"), "جمادى الآخرة": ("joumada|jumada|djoumada", "jumada"),
    "جمادى الثانية": ("joumada|jumada|djoumada", "jumada"), "رجب": ("rajab|radjab", "rajab"),
    "شعبان": ("chaabane|chaâbane|shaaban|sha'ban|chaban", "sha'?ban|shaaban"),
    "رمضان": ("ramadan|ramadhan", "ramadan|ramadhan"), "شوال": ("chawwal|shawwal|chaoual", "shawwal"),
    "ذو القعدة": ("dhou al-qi|dhul-qi|dhu al-qi|kaada|qaada|qi'?dah", "dhu al-qi|dhul-qi|qi'?dah"),
    "ذو الحجة": ("dhou al-hijja|dhul-hijja|dhu al-hijja|hijja", "dhu al-hijja|dhul-hijja|hijja"),
}
# Words that share a month's letters in running text: مارس is also "he practised"; only a day number or a
# year beside it makes it a month.
_AMBIGUOUS = {fold("مارس"), fold("ماي"), fold("آب"), fold("صفر")}


@lru_cache(maxsize=8)
def month_names(lang: str) -> dict[int, str]:
    from babel import Locale

    return dict(Locale.parse(lang).months["format"]["wide"])


def _plain(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch))


def _present(pattern: str, text: str) -> bool:
    return re.search(rf"(?<!\w)(?:{pattern})", _plain(text)) is not None


@lru_cache(maxsize=1)
def _month_pattern() -> tuple[re.Pattern[str], dict[str, tuple[str, int | str]]]:
    """One pattern for every month name (folded), longest first; folded name -> (name, month)."""
    names: dict[str, tuple[str, int | str]] = {}
    for number, forms in GREGORIAN.items():
        for name in forms:
            names.setdefault(fold(name), (name, number))
    for name in HIJRI:
        names.setdefault(fold(name), (name, name))
    alternatives = "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:ب|و|في)?({alternatives})(?!\w)"), names


def months_in(source: str) -> list[tuple[str, int | str]]:
    """(Arabic name as written, month number or Hijri key) for each month named in ``source``."""
    folded = fold(source)
    pattern, names = _month_pattern()
    found: list[tuple[str, int | str]] = []
    for match in pattern.finditer(folded):
        key = match.group(1)
        near = folded[max(0, match.start() - 6):match.end() + 10]
        if key in _AMBIGUOUS and not re.search(r"\d", near):
            continue
        if names[key] not in found:
            found.append(names[key])
    return found


def missing_months(source: str, target: str, lang: str) -> list[str]:
    """Months named in ``source`` that ``target`` does not name in its language (as ``"مارس -> mars"``)."""
    base = lang.split("_")[0]
    lost = []
    for written, month in months_in(source):
        if isinstance(month, int):
            expected = month_names(base)[month]
            pattern = re.escape(_plain(expected)) + ("|" + re.escape(_plain(expected[:3]) + ".") if base == "en" else "")
        else:
            fr_pattern, en_pattern = HIJRI[month]
            pattern = fr_pattern if base == "fr" else en_pattern
            expected = pattern.split("|")[0]
        if not _present(pattern, target):
            lost.append(f"{written} -> {expected}")
    return lost
