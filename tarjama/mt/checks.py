"""Is a provider's answer a translation? Reject what only looks like one.

Providers answer 200 with things that are not translations: nothing, the
source echoed back, Arabic text, or a quota warning (MyMemory puts
"MYMEMORY WARNING: YOU USED ALL AVAILABLE FREE TRANSLATIONS FOR TODAY" where
the translation should be). Each of those is a failure, so the next provider
gets its turn and no warning ends up in a catalog.
"""

from __future__ import annotations

import re
from typing import Any

from tarjama.textutil import arabic_ratio

_WARNINGS = re.compile(
    r"MYMEMORY WARNING|YOU USED ALL AVAILABLE FREE TRANSLATIONS|QUERY LENGTH LIMIT EXCEED"
    r"|INVALID LANGUAGE PAIR|PLEASE SELECT TWO DISTINCT LANGUAGES|NO QUERY SPECIFIED"
    r"|INVALID EMAIL PROVIDED|AUTHENTICATION FAILURE|TOO MANY REQUESTS|QUOTA EXCEEDED|RATE LIMIT EXCEEDED",
    re.IGNORECASE,
)
MOSTLY_ARABIC = 0.5


def rejection_reason(source: str, answer: Any) -> str | None:
    """Why ``answer`` is not an acceptable translation of ``source``; None when it is."""
    if not isinstance(answer, str) or not answer.strip():
        return "empty answer"
    if _squash(answer) == _squash(source):
        return "answer identical to the source"
    if arabic_ratio(answer) > MOSTLY_ARABIC:
        return "answer still mostly Arabic"
    match = _WARNINGS.search(answer)
    if match:
        return f"provider warning instead of a translation ({match.group(0).upper()})"
    return None


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()
