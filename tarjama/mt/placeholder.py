"""The demo's placeholder provider: not a translation engine.

``make demo`` must let someone walk the review loop on a machine without
internet, where every real provider fails. Last in the demo's chain, this
provider writes a visibly fake draft (``[fr] shrk lsyd ...``: the Arabic
transliterated and tagged with the target language) for the reviewer to
replace. Numbers stay as they are and Gregorian month names are put in the
target language, so the QA checks that guard publication (numbers, dates)
pass on it and the demo reaches publication. It makes no request and is never
in the default chain.
"""

from __future__ import annotations

import re
from functools import lru_cache

from text_unidecode import unidecode

from tarjama.months import GREGORIAN, month_names

NAME = "placeholder"


@lru_cache(maxsize=8)
def _months(target: str) -> tuple[re.Pattern[str], dict[str, str]]:
    try:
        names = month_names(target.split("_")[0])
    except Exception:
        names = {}
    spelled = {arabic: names.get(number, "") for number, forms in GREGORIAN.items() for arabic in forms}
    spelled = {k: v for k, v in spelled.items() if v}
    pattern = re.compile(r"(?<!\w)(" + "|".join(sorted(map(re.escape, spelled), key=len, reverse=True)) + r")(?!\w)")
    return pattern, spelled


def pseudo_translate(text: str, target: str) -> str:
    """A stand-in draft: deterministic, Latin script, never equal to the source; numbers and months kept."""
    pattern, spelled = _months(target)
    if spelled:
        text = pattern.sub(lambda m: f" {spelled[m.group(1)]} ", text)
    latin = unidecode(text).replace("@", "a")  # unidecode writes taa marbuta as '@', which reads as an e-mail
    return f"[{target}] {' '.join(latin.split())}"
