"""A catalog's text cut into its entries' blocks, to compare two saves entry by entry."""

from __future__ import annotations


def entry_blocks(text: str) -> dict[str, str]:
    """Each entry's lines by its msgctxt (tarjama gives every segment one), the header under ""."""
    found = {}
    for block in text.split("\n\n"):
        context = next((line.split('"')[1] for line in block.splitlines() if line.startswith("msgctxt ")), "")
        found[context] = block
    return found
