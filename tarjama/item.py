"""One news item as tarjama understands it: what ingest reads and every later step is given."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tarjama.arabic import words


@dataclass(frozen=True)
class Item:
    """One news item as tarjama understands it; the paragraphs are the text to translate."""

    slug: str
    source_path: str
    kind: str
    paragraphs: tuple[str, ...]
    digest: str = ""  # sha256 of the file's bytes: whether its text changed since its drafts
    headline: str | None = None
    section: str | None = None
    date: str | None = None
    source_url: str | None = None
    uri: str | None = None
    review: str | None = None  # the item's own review policy from its front matter: "four-eyes"
    urgency: str | None = None  # flash, urgent or normal (tarjama.urgency), when the item says it

    @property
    def text_digest(self) -> str:
        """The item's words (headline and body, folded), whatever file holds them: the same text pasted into
        the Run form, dropped as .txt or given as .md has one text digest and three file digests."""
        return hashlib.sha256(" ".join(words(" ".join(filter(None, [self.headline, *self.paragraphs])))).encode()).hexdigest()
