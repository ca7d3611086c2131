"""What MT first proposed for each sentence, kept beside the catalog (``<lang>.mt.json``).

Translators overwrite ``msgstr``; the review desk still shows the original
machine output and its provider next to their edit, and the other engines'
outputs (``alternatives``, with ``--suggest-from``) for comparison. Keyed by the Arabic source
text, so the record follows a sentence whose id moves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tarjama.fsio import ParsedFiles, atomic_write_text, locked

MEMORY_PROVIDER = "memory"  # the provider named on a draft the translation memory gave


def machine_drafts_path(catalog: Path) -> Path:
    return catalog.with_suffix(".mt.json")


def _parse(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


_parsed: ParsedFiles[dict[str, dict[str, Any]]] = ParsedFiles(_parse)  # the desk reads it per save


def read_machine_drafts(catalog: Path) -> dict[str, dict[str, Any]]:
    """The recorded machine drafts (parsed again only when the file changed)."""
    return _parsed.get(machine_drafts_path(catalog))


def record_machine_drafts(catalog: Path, drafts: Mapping[str, Any], at: str) -> None:
    """Add this run's successful drafts (``Draft`` objects keyed by source text)."""
    fresh = {source: {"text": d.text, "provider": d.provider, "at": at,
                      **({"alternatives": dict(d.alternatives)} if getattr(d, "alternatives", ()) else {})}
             for source, d in drafts.items() if d.text}
    if fresh:
        _update(catalog, lambda known: fresh)


def record_risks(catalog: Path, risks: Mapping[str, dict[str, Any]]) -> None:
    """Keep the risk each machine draft had when it was written (keyed by source text), so ``tarjama report
    --risk`` can tell whether the segments banded low went out unchanged."""
    _update(catalog, lambda known: {source: {**known[source], "risk": risk} for source, risk in risks.items()
                                    if source in known and known[source].get("risk") != risk})


def _update(catalog: Path, fresh_of: Callable[[dict[str, dict[str, Any]]], dict[str, dict[str, Any]]]) -> None:
    """Merge the records ``fresh_of`` makes from the known ones into the record file, under its lock; written
    only when there is something fresh."""
    path = machine_drafts_path(catalog)
    with locked(path.with_name(f".{path.name}.lock"), f"machine drafts {path}", timeout=10):
        known = dict(read_machine_drafts(catalog))
        fresh = fresh_of(known)
        if fresh:
            known.update(fresh)
            atomic_write_text(path, json.dumps(known, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
