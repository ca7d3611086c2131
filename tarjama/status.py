"""Where every item stands: per language, how many segments are drafted, reviewed, untranslated, where its
review is (typed, from the review log) and the state of the item's current run.

Reads the catalogs and review logs. Run states come from a callable the
orchestration layer passes in (plain HTTP to Prefect); this module never
imports Prefect and must stay fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from tarjama.catalog import approval_holds, count_entries
from tarjama.catalog_store import read_catalog
from tarjama.errors import CatalogError
from tarjama.inbox import refusals
from tarjama.manifest import read_manifest
from tarjama.review.state import ReviewState, item_review
from tarjama.workspace import Workspace

RunStates = Callable[[list[str]], dict[str, str]]
"""Current state names of flow runs, by run id (missing ids: unknown)."""


@dataclass(frozen=True)
class LanguageStatus:
    slug: str
    lang: str
    catalog: str
    total: int
    drafted: int
    reviewed: int
    untranslated: int
    obsolete: int
    source: str | None
    review: str = "not in review"
    review_state: str = ReviewState.NOT_IN_REVIEW.value
    review_since: str | None = None
    reviewer: str | None = None
    channel: str | None = None  # desk (authenticated), cli or prefect-ui (a name as given)
    overdue: bool = False
    run_id: str | None = None
    run_state: str | None = None
    problem: str | None = None  # a catalog that cannot be read, said in one line

    @property
    def awaits_decision(self) -> bool:
        return ReviewState(self.review_state).awaits_decision


def collect_status(workspace: Workspace, run_states: RunStates | None = None) -> list[LanguageStatus]:
    """One row per item and language, items in name order; ``run_states`` adds each item's current run state."""
    rows: list[LanguageStatus] = [
        LanguageStatus(refused.path, "-", "", 0, 0, 0, 0, 0, refused.path, review="not started",
                       problem=f"not started ({refused.at[:16].replace('T', ' ')}): {refused.reason}")
        for refused in refusals(workspace)]
    if not workspace.translations.is_dir():
        return rows
    for item_dir in sorted(p for p in workspace.translations.iterdir() if p.is_dir()):
        slug = item_dir.name
        source = (read_manifest(workspace, slug) or {}).get("source_path")
        review = item_review(workspace, slug)
        for path in sorted(item_dir.glob("*.po")):
            lang = path.stem
            try:
                po = read_catalog(path)
            except CatalogError as error:
                rows.append(LanguageStatus(slug, lang, workspace.relative(path), 0, 0, 0, 0, 0, source,
                                           review="catalog unreadable", problem=str(error), run_id=review.current_run))
                continue
            if po is None:
                continue
            counts = count_entries(po)
            state = review.langs.get(lang)
            text = state.describe(slug) if state else "not in review"
            if state and state.state in (ReviewState.APPROVED, ReviewState.PUBLISHED) and not approval_holds(po):
                text += "; the catalog changed since, a new run will ask for review"
            rows.append(LanguageStatus(
                slug=slug, lang=lang, catalog=workspace.relative(path), total=counts.total,
                drafted=counts.drafted, reviewed=counts.reviewed, untranslated=counts.untranslated,
                obsolete=counts.obsolete, source=source, review=text,
                review_state=(state.state if state else ReviewState.NOT_IN_REVIEW).value,
                review_since=state.since.isoformat() if state else None, reviewer=state.reviewer if state else None,
                channel=state.channel.value if state and state.channel else None,
                overdue=bool(state and state.overdue), run_id=review.current_run,
            ))
    if run_states is not None:
        ids = sorted({r.run_id for r in rows if r.run_id})
        names = run_states(ids) if ids else {}
        rows = [_with_state(r, names) for r in rows]
    return rows


def _with_state(row: LanguageStatus, names: dict[str, str]) -> LanguageStatus:
    return replace(row, run_state=names.get(row.run_id, "?")) if row.run_id else row


def status_json(rows: list[LanguageStatus]) -> str:
    return json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2)
