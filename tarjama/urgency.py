"""How urgent an item is: flash, urgent or normal, as editors and wire formats say it.

An item's urgency comes from its front matter (``urgency: flash``), its ninjs
``urgency`` (IPTC's 1, most urgent, to 9), ``tarjama translate --urgency`` or
the Run form; the newsroom maps each level to a review policy
(``[review.flash]``, ``[review.urgent]``, ``[review.normal]``).
"""

from __future__ import annotations

from enum import StrEnum

from tarjama.errors import InputError


class Urgency(StrEnum):
    FLASH = "flash"  # breaking news: the newsroom may publish the machine draft first and review after
    URGENT = "urgent"  # reviewed first, under a short deadline
    NORMAL = "normal"


# IPTC's urgency scale (ninjs, NewsML-G2 nar:urgency) runs 1 (most urgent) to 9; wire services move 1 as a flash and
# 2-3 as urgent (IPTC 7901's priorities: 1 flash, 2 bulletin, 3 urgent, 4 regular and below).
FLASH_UP_TO = 1
URGENT_UP_TO = 3


def from_iptc(value: object, where: str) -> Urgency:
    """IPTC's number (1 to 9) as a level; anything else is one line naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or not 1 <= value <= 9:
        raise InputError(f"{where} must be a whole number from 1 (most urgent) to 9, not {str(value)[:20]!r}")
    number = int(value)
    if number <= FLASH_UP_TO:
        return Urgency.FLASH
    return Urgency.URGENT if number <= URGENT_UP_TO else Urgency.NORMAL


def parse_urgency(value: object, where: str) -> Urgency:
    """``flash``, ``urgent`` or ``normal`` (any case), or an IPTC number; anything else is one line naming
    ``where``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return from_iptc(value, where)
    text = str(value).strip().casefold()
    if text.isdigit():
        return from_iptc(int(text), where)
    try:
        return Urgency(text)
    except ValueError:
        raise InputError(f"{where} is {str(value)[:30]!r}; write one of {', '.join(u.value for u in Urgency)} "
                         "(or IPTC's 1 to 9)") from None
