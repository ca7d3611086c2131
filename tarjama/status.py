"""Where every item stands: per language, how many segments are drafted, reviewed, untranslated,
who it waits for, since when, and the state of its run.

Reads the catalogs and review logs; run states come over plain HTTP from a
Prefect server if one answers. It must stay fast and never import Prefect.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace

from tarjama.catalog import count_entries, read_catalog
from tarjama.manifest import read_manifest
from tarjama.review import LanguageReview, review_states
from tarjama.workspace import Workspace


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
    review_since: str | None = None
    reviewer: str | None = None
    run_id: str | None = None
    run_state: str | None = None


def collect_status(workspace: Workspace, with_run_states: bool = False) -> list[LanguageStatus]:
    """One row per item and language, items in name order."""
    rows: list[LanguageStatus] = []
    if not workspace.translations.is_dir():
        return rows
    for item_dir in sorted(p for p in workspace.translations.iterdir() if p.is_dir()):
        source = (read_manifest(workspace, item_dir.name) or {}).get("source_path")
        reviews = review_states(workspace, item_dir.name)
        for path in sorted(item_dir.glob("*.po")):
            po = read_catalog(path)
            if po is None:
                continue
            counts = count_entries(po)
            review = reviews.get(path.stem)
            rows.append(LanguageStatus(
                slug=item_dir.name, lang=path.stem, catalog=workspace.relative(path), total=counts.total,
                drafted=counts.drafted, reviewed=counts.reviewed, untranslated=counts.untranslated,
                obsolete=counts.obsolete, source=source, review=_describe(review),
                review_since=review.since if review else None, reviewer=review.reviewer if review else None,
                run_id=review.run_id if review else None,
            ))
    if with_run_states and any(r.run_id for r in rows):
        rows = _with_run_states(rows)
    return rows


def _describe(review: LanguageReview | None) -> str:
    if review is None:
        return "not in review"
    since = review.since[:16].replace("T", " ")
    if review.state == "approved":
        return f"approved by {review.reviewer} {since}"
    return f"{review.state} since {since}"


def _with_run_states(rows: list[LanguageStatus]) -> list[LanguageStatus]:
    from tarjama.prefect_env import find_server, run_state_names

    url = find_server(timeout=0.3)
    if not url:
        return [replace(r, run_state="(no server)") if r.run_id else r for r in rows]
    names = run_state_names(url, [r.run_id for r in rows if r.run_id])
    return [replace(r, run_state=names.get(r.run_id, "?")) if r.run_id else r for r in rows]


def status_json(rows: list[LanguageStatus]) -> str:
    return json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2)
