"""The desk's queue: every item and language waiting for review, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from tarjama.catalog import read_catalog
from tarjama.manifest import read_manifest
from tarjama.publish.version import fallback_headline
from tarjama.review import approval_blockers
from tarjama.status import collect_status
from tarjama.workspace import Workspace


@dataclass(frozen=True)
class QueueRow:
    slug: str
    title: str
    lang: str
    reviewed: int
    total: int
    blockers: list[str]
    since: str
    state: str
    run_state: str | None


def waiting_queue(workspace: Workspace, languages: tuple[str, ...], lang_filter: str | None = None) -> list[QueueRow]:
    rows = []
    for status in collect_status(workspace, with_run_states=True):
        if status.lang not in languages or (lang_filter and status.lang != lang_filter):
            continue
        if not status.review.startswith("waiting"):
            continue
        po = read_catalog(workspace.catalog_path(status.slug, status.lang))
        rows.append(QueueRow(status.slug, _title(workspace, status.slug, po), status.lang, status.reviewed, status.total, approval_blockers(po),
                             status.review_since or "", status.review, status.run_state))
    return sorted(rows, key=lambda r: r.since, reverse=True)


def _title(workspace: Workspace, slug: str, po) -> str:
    """The item's headline, else its first sentence cut short: what an editor recognises it by."""
    headline = (read_manifest(workspace, slug) or {}).get("headline")
    if headline:
        return headline
    first = next((e.msgid for e in po or [] if not e.obsolete), "")
    return fallback_headline((first,)) if first else slug
