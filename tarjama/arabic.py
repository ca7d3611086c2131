"""Arabic text folded for matching: the glossary (and the translation memory) compare these forms.

Arabic news spells the same word several ways: with or without short vowels
(harakat), stretched with tatweel, with the hamza written on its seat or not,
final yaa as alef maqsura, taa marbuta as haa. Folding those is the usual
normalisation of Arabic search engines (Lucene's ArabicNormalizer does the
same); no maintained Python package does just this without a heavy
dependency, so it is a table here.
"""

from __future__ import annotations

import re
import unicodedata

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_FOLD = str.maketrans({
    "\u0640": None,  # tatweel
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ؤ": "و", "ئ": "ي", "ى": "ي", "ة": "ه",
    "ک": "ك", "ی": "ي",  # Persian kaf and yeh, common in pasted text
})
_WORD = re.compile(r"\w+")

# Attached prefixes a term may carry in running text: conjunctions و ف, prepositions ب ل ك, the article ال,
# and their usual combinations; ل + ال is written لل.
PREFIXES = ("", "و", "ف", "ب", "ل", "ك", "وب", "فب", "ول", "فل", "وك", "فك")
ARTICLE = "ال"


def fold(text: str) -> str:
    """``text`` without harakat and tatweel, with alef, hamza, yaa and taa marbuta forms folded; Latin casefolded."""
    text = unicodedata.normalize("NFKC", text)
    return _DIACRITICS.sub("", text).translate(_FOLD).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return _WORD.findall(fold(text))


def attached_forms(word: str) -> set[str]:
    """Every way a folded word may appear with prefixes attached, with or without the article:
    ``الرئيس`` also as ``رئيس``, ``والرئيس``, ``للرئيس``, ``برئيس``..."""
    bare = word.removeprefix(ARTICLE) if word.startswith(ARTICLE) and len(word) > 3 else word
    forms = {prefix + bare for prefix in PREFIXES} | {prefix + ARTICLE + bare for prefix in PREFIXES}
    return forms | {"لل" + bare, "ولل" + bare, "فلل" + bare}
