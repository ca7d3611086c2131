"""The demo's placeholder provider: not a translation engine.

``make demo`` must let someone walk the review loop on a machine without
internet, where every real provider fails. Last in the demo's chain, this
provider writes a visibly fake draft (``[fr] shrk lsyd ...``: the Arabic
transliterated and tagged with the target language) for the reviewer to
replace. It makes no request and is never in the default chain.
"""

from __future__ import annotations

from text_unidecode import unidecode

NAME = "placeholder"


def pseudo_translate(text: str, target: str) -> str:
    """A stand-in draft: deterministic, Latin script, never equal to the source."""
    return f"[{target}] {unidecode(text).strip()}"
