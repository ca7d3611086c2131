"""Segment edits from the review desk, through the catalog store the flow uses.

Every edit carries the fingerprint of the entry as the editor saw it; under
the catalog's lock the entry is compared with what is on disk now, and an edit
made on a stale version is refused with the newer text, never applied over it.
Each change is appended to ``<lang>.audit.jsonl``: who, when, before, after.
What a translation may hold is checked before anything is stored: no control
characters (a NUL would cut the compiled ``.mo``), and a length in proportion
to its source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from dataclasses import asdict, dataclass

import polib

from tarjama.catalog import FUZZY, CatalogCounts, count_entries
from tarjama.catalog_store import STORE, Edit, audit_path, warm_render
from tarjama.clock import now_utc
from tarjama.errors import InputError, TarjamaError
from tarjama.fsio import read_jsonl
from tarjama.machine_drafts import read_machine_drafts
from tarjama.workspace import Workspace

MAX_COMMENT = 2000


def max_translation_length(source: str) -> int:
    """Room for any sane translation of ``source`` (French runs about 1.3 times the Arabic), not for a paste
    of a whole other text."""
    return 200 + 5 * len(source)


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
    machine = read_machine_drafts(path)

    def views(po: polib.POFile | None):
        if po is None:
            raise InputError(f"no catalog for {slug} in {lang}")
        warm_render(po)
        return [_view(e, machine) for e in po if not e.obsolete], count_entries(po), dict(po.metadata)

    return STORE.view(path, views)


def read_audit(workspace: Workspace, slug: str, lang: str) -> list[dict]:
    return read_jsonl(audit_path(workspace.catalog_path(slug, lang)))


def check_text(field: str, text: str, limit: int) -> str:
    """One line saying what is wrong with a submitted text, or the text with its line ends normalised."""
    text = text.replace("\r\n", "\n").strip()
    bad = next((ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cs")), None)
    if bad is not None:
        raise InputError(f"{field}: control character U+{ord(bad):04X} is not allowed; remove it")
    if len(text) > limit:
        raise InputError(f"{field}: {len(text)} characters is too long (at most {limit} here); "
                         "paste only this segment's translation")
    return text


def save_segment(workspace: Workspace, slug: str, lang: str, segment_id: str, *, text: str, comment: str,
                 reviewed: bool, base: str, reviewer: str, now: dt.datetime | None = None) -> tuple[SegmentView, CatalogCounts]:
    """Save a translator's edit; ``reviewed`` clears fuzzy, otherwise the segment stays (or becomes) fuzzy."""
    now = now or now_utc()
    comment = check_text("comment", comment, MAX_COMMENT)
    path = workspace.catalog_path(slug, lang)
    if not path.exists():
        raise InputError(f"no catalog for {slug} in {lang}")
    machine = read_machine_drafts(path)

    def change(edit: Edit) -> tuple[SegmentView, CatalogCounts]:
        po = edit.po
        entry = next((e for e in po or [] if not e.obsolete and e.msgctxt == segment_id), None)
        if entry is None:
            raise InputError(f"{slug}/{lang}: no segment {segment_id!r} (the source may have changed; reload)")
        if fingerprint(entry) != base:
            raise StaleEditError(f"{segment_id} was changed by someone else since you opened it; "
                                 "your edit was not saved", _view(entry, machine))
        new_text = check_text(f"{segment_id} translation", text, max_translation_length(entry.msgid))
        if reviewed and not new_text:
            raise InputError(f"{segment_id}: an empty translation cannot be marked reviewed")
        before = _snapshot(entry)
        entry.msgstr = new_text
        entry.tcomment = comment
        flags = [f for f in entry.flags if f != FUZZY]
        entry.flags = flags if (reviewed or not new_text) else [*flags, FUZZY]
        after = _snapshot(entry)
        if before != after:
            po.metadata["Last-Translator"] = reviewer
            po.metadata["PO-Revision-Date"] = now.strftime("%Y-%m-%d %H:%M+0000")
            edit.changed = True
            edit.audit.append({"at": now.isoformat(), "reviewer": reviewer, "segment": segment_id,
                               "before": before, "after": after})
        return _view(entry, machine), count_entries(po)

    return STORE.update(path, change)


def mark_reviewed(workspace: Workspace, slug: str, lang: str, segments: list[str], *, reviewer: str,
                  now: dt.datetime | None = None) -> list[str]:
    """Clear fuzzy on translated segments (all of them, or those named), as a translator does in a PO editor,
    through the catalog store (locked, atomic, audited); the segments marked. A named segment that is missing or
    untranslated is refused in one line and nothing is written."""
    now = now or now_utc()
    path = workspace.catalog_path(slug, lang)
    if not path.exists():
        raise InputError(f"no catalog for {slug} in {lang}: see `tarjama status` for what is translated")
    if not reviewer.strip():
        raise InputError("--reviewer: give your name; it is recorded with each segment marked")

    def change(edit: Edit) -> list[str]:
        entries = {e.msgctxt: e for e in edit.po or [] if not e.obsolete and e.msgctxt}
        for segment in segments:
            if segment not in entries:
                raise InputError(f"{slug}/{lang}: no segment {segment!r}; `tarjama check {slug}` lists them")
            if not entries[segment].msgstr:
                raise InputError(f"{slug}/{lang}: {segment} is untranslated; translate it before marking it reviewed")
        chosen = [entries[s] for s in segments] if segments else [e for e in entries.values() if e.msgstr]
        marked = []
        for entry in chosen:
            if FUZZY not in entry.flags:
                continue
            before = _snapshot(entry)
            entry.flags = [f for f in entry.flags if f != FUZZY]
            marked.append(entry.msgctxt)
            edit.audit.append({"at": now.isoformat(), "reviewer": reviewer, "segment": entry.msgctxt,
                               "before": before, "after": _snapshot(entry)})
        if marked:
            edit.po.metadata["Last-Translator"] = reviewer
            edit.po.metadata["PO-Revision-Date"] = now.strftime("%Y-%m-%d %H:%M+0000")
            edit.changed = True
        return marked

    return STORE.update(path, change)


def _snapshot(entry: polib.POEntry) -> dict:
    return {"text": entry.msgstr, "fuzzy": FUZZY in entry.flags, "comment": entry.tcomment or ""}


def view_dict(view: SegmentView) -> dict:
    return {**asdict(view), "state": view.state}
