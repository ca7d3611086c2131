"""What MT first proposed for each sentence, kept beside the catalog (``<lang>.mt.json``).

Translators overwrite ``msgstr``; the review desk still shows the original
machine output and its provider next to their edit. Keyed by the Arabic source
text, so the record follows a sentence whose id moves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tarjama.fsio import atomic_write_text


def machine_drafts_path(catalog: Path) -> Path:
    return catalog.with_suffix(".mt.json")


def read_machine_drafts(catalog: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(machine_drafts_path(catalog).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_machine_drafts(catalog: Path, drafts: Mapping[str, Any], at: str) -> None:
    """Add this run's successful drafts (``Draft`` objects keyed by source text)."""
    fresh = {source: {"text": d.text, "provider": d.provider, "at": at} for source, d in drafts.items() if d.text}
    if not fresh:
        return
    known = read_machine_drafts(catalog)
    known.update(fresh)
    atomic_write_text(machine_drafts_path(catalog), json.dumps(known, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
