"""One language version of an item, built from its approved catalog and the item's manifest.

The catalog is the source of truth for published text: its ``msgid``s are the
Arabic original and its reviewed ``msgstr``s the translation, grouped back into
paragraphs by segment id (``p3.s2`` is paragraph 3). When an item has no
headline, the version's headline is its first sentence, cut at a word
boundary to at most 110 characters with an ellipsis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polib

from tarjama.catalog_store import read_catalog
from tarjama.errors import InputError
from tarjama.languages import SOURCE_LANGUAGE
from tarjama.manifest import read_manifest
from tarjama.segment import HEADLINE, split_sentences
from tarjama.workspace import Workspace

HEADLINE_FALLBACK_MAX = 110
_SEGMENT_ID = re.compile(r"^p(\d+)\.s(\d+)$")


@dataclass(frozen=True)
class Version:
    """What is published for one language; ``reviewer`` is None for the Arabic original."""

    slug: str
    lang: str
    headline: str
    headline_is_fallback: bool
    paragraphs: tuple[str, ...]
    date: str | None
    source_url: str | None
    section: str | None
    reviewer: str | None = None
    reviewed_at: str | None = None
    reviewed_via: str | None = None  # the channel of the approval: desk (authenticated), cli, prefect-ui
    providers: tuple[str, ...] = ()
    first_reviewer: str | None = None  # four-eyes: the reviewer who approved before ``reviewer``
    publisher: str | None = None  # who holds editorial responsibility (``[site] publisher``)

    @property
    def reviewers(self) -> tuple[str, ...]:
        """Everyone who approved this version, in the order they did."""
        return tuple(name for name in (self.first_reviewer, self.reviewer) if name)


def versions_from_catalog(po: polib.POFile, manifest: dict, lang: str) -> tuple[Version, Version]:
    """The Arabic original and the ``lang`` translation, from one approved catalog."""
    slug = manifest["slug"]
    entries = [e for e in po if not e.obsolete]
    if not entries:
        raise InputError(f"catalog {slug}/{lang}.po has no entries to publish")
    found = (re.search(r"machine translation: (\w+),", e.comment or "") for e in entries)
    providers = tuple(sorted({m.group(1) for m in found if m}))
    common = {"slug": slug, "date": manifest.get("date"), "source_url": manifest.get("source_url"),
              "section": manifest.get("section")}
    original = _version(entries, lambda e: e.msgid, SOURCE_LANGUAGE, common)
    translation = _version(entries, lambda e: e.msgstr, lang, common)
    meta = po.metadata
    translation = Version(**{**translation.__dict__, "reviewer": meta.get("X-Tarjama-Approved-By") or None,
                             "reviewed_at": meta.get("X-Tarjama-Approved-At") or None, "providers": providers,
                             "reviewed_via": meta.get("X-Tarjama-Approved-Via") or None,
                             "first_reviewer": meta.get("X-Tarjama-First-Approved-By") or None})
    return original, translation


def _version(entries, text_of, lang: str, common: dict) -> Version:
    headline = None
    paragraphs: dict[int, list[str]] = {}
    for entry in entries:
        text = text_of(entry).strip()
        if entry.msgctxt == HEADLINE:
            headline = text
            continue
        match = _SEGMENT_ID.match(entry.msgctxt or "")
        number = int(match.group(1)) if match else max(paragraphs, default=0) + 1
        paragraphs.setdefault(number, []).append(text)
    body = tuple(" ".join(parts) for _, parts in sorted(paragraphs.items()))
    fallback = headline is None
    return Version(headline=headline or fallback_headline(body), headline_is_fallback=fallback,
                   paragraphs=body, lang=lang, **common)


def fallback_headline(paragraphs: tuple[str, ...]) -> str:
    """The first sentence, cut at a word boundary to ``HEADLINE_FALLBACK_MAX`` characters."""
    first = next((p for p in paragraphs if p.strip()), "")
    sentence = (split_sentences(first) or [first])[0]
    if len(sentence) <= HEADLINE_FALLBACK_MAX:
        return sentence
    cut = sentence[:HEADLINE_FALLBACK_MAX].rsplit(" ", 1)[0].rstrip("،,;؛:")
    return cut + "…"


def load_versions(workspace: Workspace, slug: str, lang: str) -> tuple[Version, Version]:
    manifest = read_manifest(workspace, slug)
    po = read_catalog(workspace.catalog_path(slug, lang))
    if manifest is None or po is None:
        raise InputError(f"item {slug!r} has no drafts to publish in {lang}; run tarjama translate first")
    return versions_from_catalog(po, manifest, lang)
