"""Months of the source that the translation must name in its language (the table is :mod:`tarjama.months`)."""

from __future__ import annotations

import re

from tarjama.months import HIJRI, month_names, months_in, months_named, plain


def missing_months(source: str, target: str, lang: str) -> list[str]:
    """Months named in ``source`` that ``target`` does not name in its language (as ``"مارس -> mars"``)."""
    base = lang.split("_")[0]
    lost = []
    named = set(months_named(target, base))
    for written, month in months_in(source):
        if isinstance(month, int):
            if month not in named:
                lost.append(f"{written} -> {month_names(base)[month]}")
            continue
        fr_pattern, en_pattern = HIJRI[month]
        pattern = fr_pattern if base == "fr" else en_pattern
        if re.search(rf"(?<!\w)(?:{pattern})", plain(target)) is None:
            lost.append(f"{written} -> {pattern.split('|')[0]}")
    return lost
