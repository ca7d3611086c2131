"""Where every item stands: per language, how many segments are drafted, reviewed, untranslated.

Reads the catalogs only; it must stay fast and never import Prefect.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from tarjama.catalog import count_entries, read_catalog
from tarjama.manifest import read_manifest
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


def collect_status(workspace: Workspace) -> list[LanguageStatus]:
    """One row per item and language, items in name order."""
    rows: list[LanguageStatus] = []
    if not workspace.translations.is_dir():
        return rows
    for item_dir in sorted(p for p in workspace.translations.iterdir() if p.is_dir()):
        source = (read_manifest(workspace, item_dir.name) or {}).get("source_path")
        for path in sorted(item_dir.glob("*.po")):
            po = read_catalog(path)
            if po is None:
                continue
            counts = count_entries(po)
            rows.append(LanguageStatus(
                slug=item_dir.name, lang=path.stem, catalog=workspace.relative(path), total=counts.total,
                drafted=counts.drafted, reviewed=counts.reviewed, untranslated=counts.untranslated,
                obsolete=counts.obsolete, source=source,
            ))
    return rows


def status_json(rows: list[LanguageStatus]) -> str:
    return json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2)

