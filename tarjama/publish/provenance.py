"""Which sentences did a person write? The provenance of every segment of a published translation.

For each segment: what drafted it (an engine, or the translation memory), whether the published text is still that
draft or a person wrote it, who changed it in the review desk (its audit log; an edit saved in a PO editor is known
to be a person's but not whose), whether it was reviewed one by one or accepted with the low-risk ones. Published
beside the page (``<slug>.provenance.json``) and kept per version in ``translations/<slug>/<lang>.provenance.jsonl``
(``tarjama provenance``). Only what a reader may know: names of engines and people, never keys, paths or prompts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polib

from tarjama.catalog_store import audit_path, read_catalog
from tarjama.fsio import append_jsonl, read_jsonl
from tarjama.machine_drafts import read_machine_drafts
from tarjama.post_edit import ACCEPTED_IN_BULK
from tarjama.workspace import Workspace


def segment_provenance(po: polib.POFile, machine: dict[str, dict], audit: list[dict]) -> list[dict[str, Any]]:
    """One record per active segment, in catalog order."""
    editors: dict[str, list[str]] = {}
    for change in audit:
        before, after = change.get("before") or {}, change.get("after") or {}
        if "text" in after and before.get("text") != after.get("text"):
            editors.setdefault(str(change.get("segment")), []).append(str(change.get("reviewer")))
    found = []
    for entry in po:
        if entry.obsolete or not entry.msgctxt or not entry.msgstr:
            continue
        record = machine.get(entry.msgid) or {}
        drafted_by = record.get("provider") if record.get("text") else None
        kept = drafted_by is not None and record.get("text") == entry.msgstr
        found.append({"segment": entry.msgctxt, "drafted_by": drafted_by, "written_by_person": not kept,
                      "edited_by": list(dict.fromkeys(editors.get(entry.msgctxt, []))), "reviewed": not entry.fuzzy,
                      "accepted_as_low_risk": ACCEPTED_IN_BULK in (entry.tcomment or "")})
    return found


def item_provenance(workspace: Workspace, slug: str, lang: str) -> list[dict[str, Any]]:
    path = workspace.catalog_path(slug, lang)
    po = read_catalog(path)
    return segment_provenance(po, read_machine_drafts(path), read_jsonl(audit_path(path))) if po is not None else []


def history_path(workspace: Workspace, slug: str, lang: str) -> Path:
    return workspace.item_dir(slug) / f"{lang}.provenance.jsonl"


def record_version(workspace: Workspace, slug: str, lang: str, document: dict[str, Any]) -> None:
    """Keep a published version's provenance (the published folder keeps only the newest)."""
    append_jsonl(history_path(workspace, slug, lang), [document], f"provenance of {slug} {lang}")


def read_version(workspace: Workspace, slug: str, lang: str, version: int | None = None) -> dict[str, Any] | None:
    """A published version's provenance (the newest when ``version`` is None); None when there is none."""
    records = [r for r in read_jsonl(history_path(workspace, slug, lang)) if isinstance(r.get("version"), int)]
    if version is not None:
        records = [r for r in records if r["version"] == version]
    return records[-1] if records else None


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
