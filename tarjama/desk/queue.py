"""The desk's queue: every item and language waiting for a decision, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from tarjama.catalog import approval_blockers
from tarjama.catalog_store import read_catalog
from tarjama.context import Context
from tarjama.errors import CatalogError
from tarjama.manifest import read_manifest
from tarjama.publish.version import fallback_headline
from tarjama.qa.item_risk import band_counts
from tarjama.review.state import ReviewState
from tarjama.status import RunStates, collect_status
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
    review: str
    changes_requested: bool
    overdue: bool
    run_state: str | None
    risk: dict[str, int]  # the unreviewed segments per band, high first


def waiting_queue(workspace: Workspace, languages: tuple[str, ...], lang_filter: str | None = None,
                  run_states: RunStates | None = None) -> list[QueueRow]:
    rows = []
    ctx = Context.load(workspace)
    for status in collect_status(workspace, run_states):
        if status.lang not in languages or (lang_filter and status.lang != lang_filter):
            continue
        if not status.awaits_decision:
            continue
        try:
            po = read_catalog(workspace.catalog_path(status.slug, status.lang))
        except CatalogError as error:
            po, blockers = None, [str(error)]
        else:
            blockers = approval_blockers(po)
        risk = band_counts(ctx.risks(status.slug, [status.lang], unreviewed_only=True).get(status.lang, {})) if po else {}
        rows.append(QueueRow(status.slug, _title(workspace, status.slug, po), status.lang, status.reviewed,
                             status.total, blockers, status.review_since or "", status.review,
                             status.review_state == ReviewState.CHANGES_REQUESTED, status.overdue, status.run_state,
                             risk))
    return sorted(rows, key=lambda r: r.since, reverse=True)


def _title(workspace: Workspace, slug: str, po) -> str:
    """The item's headline, else its first sentence cut short: what an editor recognises it by."""
    headline = (read_manifest(workspace, slug) or {}).get("headline")
    if headline:
        return headline
    first = next((e.msgid for e in po or [] if not e.obsolete), "")
    return fallback_headline((first,)) if first else slug
