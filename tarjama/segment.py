"""Split an item into segments: whole sentences, with stable ids.

Rules written for Arabic news prose (pysbd's Arabic rules split at the Arabic
comma, so they are not used): a sentence ends at ``. ! ? ؟ …`` followed by a
space or the paragraph's end, taking closing quotes and brackets with it;
never at ``،`` or ``؛``, never inside a number such as ``11.8`` or
``30.01.2025`` (no space follows the dot), never after a one-letter
abbreviation such as ``د.``.

Ids are ``headline`` and ``p<paragraph>.s<sentence>`` (1-based), so a re-run of
the same text yields the same ids.

A sentence longer than a provider accepts is cut for that provider only, by
:func:`split_for_limit`; the catalog keeps one entry per sentence whichever
provider translates it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tarjama.item import Item

HEADLINE = "headline"  # the headline's segment id (sentences are p<paragraph>.s<sentence>)
TERMINATORS = ".!?؟…"
CLOSERS = "\"'”’»)]}›"
_BOUNDARY = re.compile(r"([" + re.escape(TERMINATORS) + r"]+[" + re.escape(CLOSERS) + r"]*)(\s+|$)")
_LATIN_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "no", "vs", "jr", "sr", "gen", "col", "art", "p"}
_CLAUSE_BOUNDARY = re.compile(r"[،؛,;:]\s+|\s[-–—]\s")


@dataclass(frozen=True)
class Segment:
    """One unit of translation: a whole sentence (or the headline) and its stable id."""

    id: str
    text: str


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph, in order, each stripped."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(paragraph):
        end = match.end(1)
        if not _is_sentence_end(paragraph, match.start(1), match.group(1), match.end()):
            continue
        sentence = paragraph[start:end].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _is_sentence_end(text: str, at: int, mark: str, after: int) -> bool:
    if mark.rstrip(CLOSERS) != ".":
        return True  # ! ? ؟ … and runs such as "..." always end a sentence
    word = re.split(r"\s", text[:at])[-1]
    bare = word.lstrip("(\"'«“").lower()
    if len(bare) == 1 and bare.isalpha():
        return False  # initials and Arabic one-letter abbreviations: "د." "م." "J."
    if bare in _LATIN_ABBREVIATIONS or re.fullmatch(r"(?:\w\.)+\w", bare):
        return False  # "Dr." "U.S."
    following = text[after:after + 1]
    return not (following.isalpha() and following.isascii() and following.islower())


def segment_item(item: Item) -> list[Segment]:
    """The headline (if any) and every sentence of every paragraph, with stable ids."""
    segments: list[Segment] = []
    if item.headline:
        segments.append(Segment(HEADLINE, item.headline))
    for p_index, paragraph in enumerate(item.paragraphs, start=1):
        for s_index, sentence in enumerate(split_sentences(paragraph), start=1):
            segments.append(Segment(f"p{p_index}.s{s_index}", sentence))
    return segments


def split_for_limit(text: str, limit: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters at the last clause boundary
    (``، ؛ , ; :`` or a dash) that fits, else at the last space; never inside a word
    unless a single word is longer than the limit."""
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = _last_clause_cut(window, min_at=limit // 3)
        if cut is None:
            space = window.rfind(" ")
            cut = space if space > 0 else limit
        piece, rest = rest[:cut].strip(), rest[cut:].strip()
        if piece:
            pieces.append(piece)
    if rest:
        pieces.append(rest)
    return pieces


def _last_clause_cut(window: str, min_at: int) -> int | None:
    """End of the last clause boundary that leaves a piece of at most len(window)-1 chars."""
    cuts = [m.end() for m in _CLAUSE_BOUNDARY.finditer(window) if min_at <= m.end() < len(window)]
    return cuts[-1] if cuts else None
