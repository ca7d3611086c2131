"""Segment edits from the review desk, through the same catalog code as the flow.

Every edit carries the fingerprint of the entry as the editor saw it; under
the catalog's lock the entry is compared with what is on disk now, and an edit
made on a stale version is refused with the newer text, never applied over it.
Each change is appended to ``<lang>.audit.jsonl``: who, when, before, after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import polib

from tarjama.catalog import FUZZY, CatalogCounts, count_entries, read_catalog, update_catalog
from tarjama.errors import InputError, TarjamaError
from tarjama.fsio import append_jsonl, read_jsonl
from tarjama.machine_drafts import read_machine_drafts
from tarjama.workspace import Workspace


@dataclass(frozen=True)
class SegmentView:
    """One catalog entry as the desk shows it."""

    id: str
    source: str
    text: str
    fuzzy: bool
    comment: str
    notes: str
    previous_source: str | None
    machine_text: str | None
    machine_provider: str | None
    fingerprint: str

    @property
    def state(self) -> str:
        return "untranslated" if not self.text else ("fuzzy" if self.fuzzy else "reviewed")


class StaleEditError(TarjamaError):
    """The segment changed since the editor loaded it; ``current`` is what is on disk now."""

    exit_code = 3

    def __init__(self, message: str, current: SegmentView) -> None:
        super().__init__(message)
        self.current = current


def fingerprint(entry: polib.POEntry) -> str:
    state = json.dumps([entry.msgid, entry.msgstr, FUZZY in entry.flags, entry.tcomment or ""], ensure_ascii=False)
    return hashlib.sha256(state.encode("utf-8")).hexdigest()[:16]


def _view(entry: polib.POEntry, machine: dict[str, dict]) -> SegmentView:
    mt = machine.get(entry.msgid) or {}
    return SegmentView(
        id=entry.msgctxt or "", source=entry.msgid, text=entry.msgstr, fuzzy=FUZZY in entry.flags,
        comment=entry.tcomment or "", notes=entry.comment or "", previous_source=entry.previous_msgid or None,
        machine_text=mt.get("text"), machine_provider=mt.get("provider"), fingerprint=fingerprint(entry),
    )


def segment_views(workspace: Workspace, slug: str, lang: str) -> tuple[list[SegmentView], CatalogCounts, dict[str, str]]:
    path = workspace.catalog_path(slug, lang)
    po = read_catalog(path)
    if po is None:
        raise InputError(f"no catalog for {slug} in {lang}")
    machine = read_machine_drafts(path)
    return [_view(e, machine) for e in po if not e.obsolete], count_entries(po), dict(po.metadata)


def audit_path(workspace: Workspace, slug: str, lang: str) -> Path:
    return workspace.item_dir(slug) / f"{lang}.audit.jsonl"


def read_audit(workspace: Workspace, slug: str, lang: str) -> list[dict]:
    return read_jsonl(audit_path(workspace, slug, lang))


def save_segment(workspace: Workspace, slug: str, lang: str, segment_id: str, *, text: str, comment: str,
                 reviewed: bool, base: str, reviewer: str, now: dt.datetime | None = None) -> tuple[SegmentView, CatalogCounts]:
    """Save a translator's edit; ``reviewed`` clears fuzzy, otherwise the segment stays (or becomes) fuzzy."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    text = text.replace("\r\n", "\n").strip()
    comment = comment.replace("\r\n", "\n").strip()
    if reviewed and not text:
        raise InputError(f"{segment_id}: an empty translation cannot be marked reviewed")
    path = workspace.catalog_path(slug, lang)
    machine = read_machine_drafts(path)

    def change(po):
        if po is None:
            raise InputError(f"no catalog for {slug} in {lang}")
        entry = next((e for e in po if not e.obsolete and e.msgctxt == segment_id), None)
        if entry is None:
            raise InputError(f"{slug}/{lang}: no segment {segment_id!r} (the source may have changed; reload)")
        if fingerprint(entry) != base:
            raise StaleEditError(f"{segment_id} was changed by someone else since you opened it; "
                                 "your edit was not saved", _view(entry, machine))
        before = _snapshot(entry)
        entry.msgstr = text
        entry.tcomment = comment
        flags = [f for f in entry.flags if f != FUZZY]
        entry.flags = flags if (reviewed or not text) else [*flags, FUZZY]
        after = _snapshot(entry)
        changed = before != after
        if changed:
            po.metadata["Last-Translator"] = reviewer
            po.metadata["PO-Revision-Date"] = now.strftime("%Y-%m-%d %H:%M+0000")
        return po, (_view(entry, machine), count_entries(po), before, after), changed

    view, counts, before, after = update_catalog(path, change)
    if before != after:
        append_jsonl(audit_path(workspace, slug, lang), {"at": now.isoformat(), "reviewer": reviewer, "segment": segment_id,
                                                         "before": before, "after": after}, f"audit log of {slug}/{lang}")
    return view, counts


def _snapshot(entry: polib.POEntry) -> dict:
    return {"text": entry.msgstr, "fuzzy": FUZZY in entry.flags, "comment": entry.tcomment or ""}


def view_dict(view: SegmentView) -> dict:
    return {**asdict(view), "state": view.state}
