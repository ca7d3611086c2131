"""Segment edits from the review desk, through the same catalog code as the flow.

Every edit carries the fingerprint of the entry as the editor saw it; under
the catalog's lock the entry is compared with what is on disk now, and an edit
made on a stale version is refused with the newer text, never applied over it.
Each change is appended to ``<lang>.audit.jsonl``: who, when, before, after.

Many reviewers saving at once share writes (group commit): edits that arrive
while a catalog is being written are applied together and written once, under
the same file lock every other writer takes. The parsed catalog is kept while
the file's bytes are unchanged (a PO editor may rewrite it in place, within the
same second, at the same size).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polib

from tarjama.catalog import FUZZY, CatalogCounts, catalog_lock, count_entries, read_catalog, write_catalog
from tarjama.errors import InputError, TarjamaError
from tarjama.fsio import append_jsonl, locked, read_jsonl
from tarjama.machine_drafts import read_machine_drafts
from tarjama.review import now_utc
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


class CatalogEditor:
    """One catalog's edits in this process: a cached parse and group-committed writes."""

    _registry: dict[Path, CatalogEditor] = {}
    _registry_lock = threading.Lock()

    def __init__(self, path: Path, audit: Path) -> None:
        self.path = path
        self.audit = audit
        self._po: polib.POFile | None = None
        self._key: bytes | None = None
        self._mutex = threading.Lock()  # guards the parsed catalog
        self._queue_lock = threading.Lock()
        self._pending: list[tuple[Callable, Future]] = []
        self._draining = False

    @classmethod
    def of(cls, path: Path) -> CatalogEditor:
        with cls._registry_lock:
            if path not in cls._registry:
                cls._registry[path] = cls(path, path.with_suffix(".audit.jsonl"))
            return cls._registry[path]

    def _load(self) -> polib.POFile:
        """The parsed catalog, re-parsed whenever the file's bytes changed (whoever wrote them, however)."""
        try:
            key = _digest(self.path.read_bytes())
        except FileNotFoundError:
            raise InputError(f"no catalog {self.path}") from None
        if key != self._key or self._po is None:
            self._po, self._key = read_catalog(self.path), key
        return self._po

    def read(self, fn: Callable[[polib.POFile], Any]) -> Any:
        """Run ``fn`` on the current catalog (no file lock: writes are atomic renames)."""
        with self._mutex:
            return fn(self._load())

    def submit(self, change: Callable[[polib.POFile], tuple[Any, dict | None]]) -> Any:
        """Apply ``change`` (returning ``(result, audit event or None when nothing changed)``) and return
        its result once the catalog and the audit log are on disk."""
        future: Future = Future()
        with self._queue_lock:
            self._pending.append((change, future))
            lead = not self._draining
            self._draining = self._draining or lead
        if lead:
            self._drain()
        return future.result()

    def _drain(self) -> None:
        while True:
            with self._queue_lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._draining = False
                    return
            done: list[tuple[Future, Any]] = []
            try:
                with locked(catalog_lock(self.path), f"catalog {self.path}", timeout=10), self._mutex:
                    po = self._load()
                    events = []
                    for change, future in batch:
                        try:
                            result, event = change(po)
                        except Exception as exc:  # this edit only: the others of the batch go on
                            future.set_exception(exc)
                            continue
                        if event:
                            events.append(event)
                        done.append((future, result))
                    if events:
                        write_catalog(po, self.path)
                        self._key = _digest(self.path.read_bytes())
                        append_jsonl(self.audit, events, f"audit log of {self.path}")
            except Exception as exc:
                self._po, self._key = None, None  # never trust a half-applied cache
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for future, result in done:
                future.set_result(result)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def segment_views(workspace: Workspace, slug: str, lang: str) -> tuple[list[SegmentView], CatalogCounts, dict[str, str]]:
    path = workspace.catalog_path(slug, lang)
    if not path.exists():
        raise InputError(f"no catalog for {slug} in {lang}")
    machine = read_machine_drafts(path)
    return CatalogEditor.of(path).read(
        lambda po: ([_view(e, machine) for e in po if not e.obsolete], count_entries(po), dict(po.metadata)))


def audit_path(workspace: Workspace, slug: str, lang: str) -> Path:
    return workspace.catalog_path(slug, lang).with_suffix(".audit.jsonl")


def read_audit(workspace: Workspace, slug: str, lang: str) -> list[dict]:
    return read_jsonl(audit_path(workspace, slug, lang))


def save_segment(workspace: Workspace, slug: str, lang: str, segment_id: str, *, text: str, comment: str,
                 reviewed: bool, base: str, reviewer: str, now: dt.datetime | None = None) -> tuple[SegmentView, CatalogCounts]:
    """Save a translator's edit; ``reviewed`` clears fuzzy, otherwise the segment stays (or becomes) fuzzy."""
    now = now or now_utc()
    text = text.replace("\r\n", "\n").strip()
    comment = comment.replace("\r\n", "\n").strip()
    if reviewed and not text:
        raise InputError(f"{segment_id}: an empty translation cannot be marked reviewed")
    path = workspace.catalog_path(slug, lang)
    machine = read_machine_drafts(path)

    def change(po):
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
        event = None
        if before != after:
            po.metadata["Last-Translator"] = reviewer
            po.metadata["PO-Revision-Date"] = now.strftime("%Y-%m-%d %H:%M+0000")
            event = {"at": now.isoformat(), "reviewer": reviewer, "segment": segment_id, "before": before, "after": after}
        return (_view(entry, machine), count_entries(po)), event

    if not path.exists():
        raise InputError(f"no catalog for {slug} in {lang}")
    return CatalogEditor.of(path).submit(change)


def _snapshot(entry: polib.POEntry) -> dict:
    return {"text": entry.msgstr, "fuzzy": FUZZY in entry.flags, "comment": entry.tcomment or ""}


def view_dict(view: SegmentView) -> dict:
    return {**asdict(view), "state": view.state}
