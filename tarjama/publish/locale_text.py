"""Localised words of the published pages, with dates, language names and direction from Babel."""

from __future__ import annotations

import re

from babel import Locale
from babel.dates import format_date

from tarjama.dates import calendar_day

# English dates in the British order the newsroom uses: "30 January 2025".
_DATE_LOCALES = {"en": "en_GB"}

STRINGS = {
    "fr": {
        "provenance": "Traduit de l'arabe par traduction automatique ({providers}), relu par {reviewer} le {date}.",
        "versions": "Autres versions", "source": "Source", "news": "Actualités", "feed": "Flux Atom",
        "original": "Texte original en arabe.",
        "responsible": "Responsabilité éditoriale : {publisher}.",
        "unreviewed": "Traduction automatique de l'arabe, en cours de relecture",
        "unreviewed_credit": "Traduit de l'arabe par traduction automatique ({providers}), pas encore relu par "
                             "une personne.",
        "correction": "Version relue : elle remplace la traduction automatique non relue (version {number}) "
                      "publiée le {date}.",
        "reviewed_term": "Relu", "unreviewed_term": "Non relu",
    },
    "en": {
        "provenance": "Translated from Arabic by machine translation ({providers}), reviewed by {reviewer} on {date}.",
        "versions": "Other versions", "source": "Source", "news": "News", "feed": "Atom feed",
        "original": "Original Arabic text.",
        "responsible": "Editorial responsibility: {publisher}.",
        "unreviewed": "Machine translation from Arabic, under review",
        "unreviewed_credit": "Translated from Arabic by machine translation ({providers}), not yet reviewed by a "
                             "person.",
        "correction": "Reviewed version: it replaces the unreviewed machine translation (version {number}) "
                      "published on {date}.",
        "reviewed_term": "Reviewed", "unreviewed_term": "Unreviewed",
    },
    "ar": {
        "provenance": "ترجمة آلية ({providers}) من العربية، راجعها {reviewer} بتاريخ {date}.",
        "versions": "نسخ أخرى", "source": "المصدر", "news": "الأخبار", "feed": "موجز Atom",
        "original": "النص الأصلي باللغة العربية.",
        "responsible": "المسؤولية التحريرية: {publisher}.",
        "unreviewed": "ترجمة آلية من العربية، قيد المراجعة",
        "unreviewed_credit": "ترجمة آلية ({providers}) من العربية، لم يراجعها أحد بعد.",
        "correction": "نسخة مراجعة تحل محل الترجمة الآلية غير المراجعة (النسخة {number}) المنشورة بتاريخ {date}.",
        "reviewed_term": "مراجعة", "unreviewed_term": "غير مراجعة",
    },
}


def words(lang: str) -> dict[str, str]:
    return STRINGS.get(lang.split("_")[0], STRINGS["en"])


def text_direction(lang: str) -> str:
    return Locale.parse(lang).text_direction


def language_name(lang: str) -> str:
    """The language's own name for itself: français, English, العربية."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:] if lang != "ar" else name


def long_date(value: str | None, lang: str) -> str | None:
    """"30 janvier 2025", "30 January 2025", "30 يناير 2025"; French writes the first of the month "1er"
    (Babel's CLDR pattern has no ordinal, so that one day is mended here)."""
    if not value:
        return None
    day = calendar_day(value)
    text = format_date(day, format="long", locale=_DATE_LOCALES.get(lang, lang))
    if lang.split("_")[0] == "fr" and day.day == 1:
        text = re.sub(r"^1(?=\s)", "1er", text)
    return text
