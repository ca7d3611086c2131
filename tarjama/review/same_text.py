"""One review per text: an item whose words another item already has in review is refused before any MT request
(the same story pasted into the Run form, dropped as .txt and given as .md is one story)."""

from __future__ import annotations

from tarjama.errors import InputError
from tarjama.item import Item
from tarjama.manifest import all_manifests
from tarjama.review.state import item_review
from tarjama.workspace import Workspace


def same_text_in_review(workspace: Workspace, item: Item) -> tuple[str, str] | None:
    """Another item with this item's text (pasted, dropped or given as another file) that waits for review:
    (its slug, its source file); None when there is none."""
    for slug, manifest in all_manifests(workspace).items():
        if slug == item.slug or manifest.get("text_digest") != item.text_digest:
            continue
        if item_review(workspace, slug).waiting_langs():
            return slug, str(manifest.get("source_path", slug))
    return None


def refuse_same_text(workspace: Workspace, item: Item) -> None:
    """One line, before any MT request, for an item whose text another item already has in review."""
    found = same_text_in_review(workspace, item)
    if found:
        slug, source = found
        raise InputError(f"{item.source_path}: the same text is already in review as {slug} ({source}); review it "
                         "there, or change this item's text")
