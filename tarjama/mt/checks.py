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
    return provider_warning(answer)


def provider_warning(text: str) -> str | None:
    """A provider's quota or error message standing where a translation should be, if there is one."""
    match = _WARNINGS.search(text)
    return f"provider warning instead of a translation ({match.group(0).upper()})" if match else None


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


# A number as news writes it, in any digits Unicode knows (Arabic-Indic ٠-٩ and Persian ۰-۹ included), with
# decimal marks and thousands groups: 12.4, 12,4, ١٢٫٤, 1,000, 1 000 (space or no-break space before 3 digits).
_NUMBER = re.compile(r"\d+(?:[.,٫٬]\d+|[ \u00a0\u202f]\d{3}(?!\d))*")


def numbers(text: str) -> list[str]:
    """The numbers of ``text`` as ASCII digit strings, separators dropped: ``١٢٫٤`` and ``12,4`` are both ``124``."""
    import unicodedata

    found = []
    for match in _NUMBER.finditer(text):
        digits = "".join(str(unicodedata.digit(ch)) for ch in match.group(0) if ch.isdigit())
        found.append(digits.lstrip("0") or "0")
    return found


def missing_numbers(source: str, answer: str) -> str | None:
    """The first number of ``source`` that ``answer`` does not carry (written any usual way); None if all are."""
    have = numbers(answer)
    for number in numbers(source):
        if number in have:
            have.remove(number)
        else:
            return number
    return None
