"""PO catalogs: one per item and target language, read and written only through polib.

Entries are keyed by segment id (``msgctxt``) and source sentence (``msgid``).
Merging a new draft run into an existing catalog never destroys human work:

* a sentence whose source is unchanged keeps its entry exactly (msgstr,
  flags, comments), even when its id moved because a sentence was inserted;
* a corrected sentence (same id, new source) gets a fresh fuzzy draft, with the
  previous source kept as ``#| msgid`` and the previous translation in a comment;
* a removed sentence becomes obsolete (``#~``), and comes back if the
  sentence returns;
* an entry that is still untranslated (an earlier MT failure) is drafted again.

An unreviewed machine draft is ``fuzzy``; a translator clears fuzzy to mark it
reviewed. Writes are atomic and happen under the catalog's lock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polib

from tarjama import __version__
from tarjama.errors import CatalogError
from tarjama.fsio import atomic_write_text, locked
from tarjama.segment import Segment

FUZZY = "fuzzy"
SOURCE_LANGUAGE = "ar"
MT_NOTE = "machine translation: "
FAILED_NOTE = "machine translation failed: "
PREVIOUS_NOTE = "previous translation: "
COPIED_NOTE = "copied from the source: nothing to translate"


@dataclass(frozen=True)
class Draft:
    """What MT produced for one source text: a translation and its provider, or a failure reason."""

    text: str | None
    provider: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class CatalogCounts:
    """Review progress of one catalog, as shown by ``tarjama status`` and the flow's artifacts."""

    total: int
    reviewed: int
    drafted: int
    untranslated: int
    obsolete: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.reviewed == self.total


@dataclass
class MergeReport:
    """What a merge did, for the run's summary and artifacts."""

    drafted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    obsoleted: list[str] = field(default_factory=list)
    changed: bool = False


@dataclass(frozen=True)
class _Match:
    segment: Segment
    entry: polib.POEntry | None  # the existing entry with the same source, reused as it is
    previous: polib.POEntry | None  # the entry this segment's id had, when its source changed


def catalog_lock(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def read_catalog(path: Path) -> polib.POFile | None:
    """The catalog at ``path``, or None when there is none yet; a broken file is a CatalogError."""
    if not path.exists():
        return None
    try:
        return polib.pofile(str(path), encoding="utf-8", wrapwidth=78)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read the catalog ({exc}); fix it in a PO editor or restore it") from None


def segments_needing_mt(po: polib.POFile | None, segments: Iterable[Segment]) -> list[Segment]:
    """Segments with no usable translation in ``po``: new, corrected, or still untranslated."""
    return [m.segment for m in _match(po, list(segments)) if m.entry is None or not m.entry.msgstr]


def merge_drafts(po: polib.POFile | None, segments: list[Segment], drafts: Mapping[str, Draft], *,
                 lang: str, slug: str, source_path: str, now: dt.datetime) -> tuple[polib.POFile, MergeReport]:
    """Merge this run's segments and drafts into ``po`` (or a new catalog) without losing human work."""
    report = MergeReport()
    if po is None:
        po = polib.POFile(wrapwidth=78, encoding="utf-8")
        report.changed = True
    old_active = [e for e in po if not e.obsolete]
    matches = _match(po, segments)
    reused = {id(m.entry) for m in matches if m.entry is not None}
    entries: list[polib.POEntry] = []
    for m in matches:
        entry = m.entry
        if entry is not None and entry.msgstr:
            report.changed |= _place(entry, m.segment, source_path)
            report.kept.append(m.segment.id)
        else:
            draft = drafts.get(m.segment.text, Draft(None, reason="not translated in this run"))
            entry = _drafted_entry(m.segment, draft, m.previous or entry, source_path, now)
            report.changed = True
            (report.corrected if m.previous is not None else report.drafted).append(m.segment.id)
            if draft.text is None:
                report.failed.append((m.segment.id, draft.reason or "unknown"))
        entries.append(entry)
    obsolete = [e for e in po if e.obsolete and id(e) not in reused]
    for entry in old_active:
        if id(entry) not in reused:
            entry.obsolete = True
            obsolete.append(entry)
            report.obsoleted.append(entry.msgctxt or entry.msgid)
            report.changed = True
    po[:] = entries + _dedupe(obsolete)
    _set_header(po, lang=lang, slug=slug, source_path=source_path, now=now, touch=report.changed)
    return po, report


def write_catalog(po: polib.POFile, path: Path) -> None:
    """Atomically replace the catalog file (callers hold :func:`catalog_lock`)."""
    atomic_write_text(path, render_catalog(po) + "\n")


_RENDERED: OrderedDict[tuple, str] = OrderedDict()
_RENDERED_MAX = 50_000
_RENDERED_LOCK = threading.Lock()


def render_catalog(po: polib.POFile) -> str:
    """Exactly polib's ``str(po)``, reusing the text of entries that did not change.

    polib re-wraps every entry on every save (about 0.2 ms each); the review
    desk saves a 300-segment catalog many times a minute, so each entry's
    rendering is kept, keyed by everything polib renders from.
    """
    header = "".join("#\n" if not line else (f"#{line}\n" if line[:1] in ",:" else f"# {line}\n")
                     for line in po.header.split("\n"))
    width = po.wrapwidth
    parts = [po.metadata_as_entry().__unicode__(width)]
    parts += [_rendered(e, width) for e in po if not e.obsolete]
    parts += [_rendered(e, width) for e in po if e.obsolete]
    return header + "\n".join(parts)


def _rendered(entry: polib.POEntry, width: int) -> str:
    key = (width, entry.obsolete, entry.msgctxt, entry.msgid, entry.msgid_plural, entry.msgstr,
           tuple(sorted(entry.msgstr_plural.items())), tuple(entry.flags), entry.comment, entry.tcomment,
           tuple(tuple(o) for o in entry.occurrences), entry.previous_msgctxt, entry.previous_msgid,
           entry.previous_msgid_plural, entry.encoding)
    with _RENDERED_LOCK:
        text = _RENDERED.get(key)
        if text is not None:
            _RENDERED.move_to_end(key)
            return text
    text = entry.__unicode__(width)
    with _RENDERED_LOCK:
        _RENDERED[key] = text
        if len(_RENDERED) > _RENDERED_MAX:
            _RENDERED.popitem(last=False)
    return text


def update_catalog(path: Path, change, *, timeout: float = 10.0):
    """Read, change and write a catalog under its lock: the one way every writer edits a catalog.

    ``change(po_or_None)`` returns ``(po, result, changed)``; the file is written only when changed.
    """
    with locked(catalog_lock(path), f"catalog {path}", timeout=timeout):
        po, result, changed = change(read_catalog(path))
        if changed:
            write_catalog(po, path)
        return result


def count_entries(po: polib.POFile) -> CatalogCounts:
    active = [e for e in po if not e.obsolete]
    translated = [e for e in active if e.msgstr]
    drafted = sum(1 for e in translated if FUZZY in e.flags)
    return CatalogCounts(
        total=len(active),
        reviewed=len(translated) - drafted,
        drafted=drafted,
        untranslated=len(active) - len(translated),
        obsolete=sum(1 for e in po if e.obsolete),
    )


def _match(po: polib.POFile | None, segments: list[Segment]) -> list[_Match]:
    """Pair each segment with its existing entry: same source first (wherever its id), else same id."""
    if po is None:
        return [_Match(s, None, None) for s in segments]
    by_source: dict[str, deque[polib.POEntry]] = defaultdict(deque)
    for entry in sorted(po, key=lambda e: e.obsolete):  # active entries before obsolete ones
        by_source[entry.msgid].append(entry)
    by_id = {e.msgctxt: e for e in po if not e.obsolete and e.msgctxt}
    taken: set[int] = set()
    exact: dict[str, polib.POEntry] = {}
    for segment in segments:
        queue = by_source.get(segment.text)
        if queue:
            entry = queue.popleft()
            exact[segment.id] = entry
            taken.add(id(entry))
    result = []
    for segment in segments:
        entry = exact.get(segment.id)
        previous = None
        if entry is None:
            candidate = by_id.get(segment.id)
            if candidate is not None and id(candidate) not in taken:
                previous = candidate
                taken.add(id(candidate))
        result.append(_Match(segment, entry, previous))
    return result


def _place(entry: polib.POEntry, segment: Segment, source_path: str) -> bool:
    """Keep a reused entry as it is, moving it to the segment's current id if that changed."""
    changed = entry.obsolete or entry.msgctxt != segment.id
    entry.obsolete = False
    entry.msgctxt = segment.id
    if not entry.occurrences:
        entry.occurrences = [(source_path, "")]
        changed = True
    return changed


def _drafted_entry(segment: Segment, draft: Draft, previous: polib.POEntry | None,
                   source_path: str, now: dt.datetime) -> polib.POEntry:
    stamp = now.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if draft.text is None:
        notes = [f"{FAILED_NOTE}{draft.reason}"]
    elif draft.provider == "copied":
        notes = [COPIED_NOTE]
    else:
        notes = [f"{MT_NOTE}{draft.provider}, {stamp}"]
    entry = polib.POEntry(
        msgctxt=segment.id,
        msgid=segment.text,
        msgstr=draft.text or "",
        occurrences=[(source_path, "")],
        flags=[FUZZY] if draft.text else [],
    )
    if previous is not None:
        if previous.msgid != segment.text:
            entry.previous_msgid = previous.msgid
        if previous.msgstr:
            notes.append(f"{PREVIOUS_NOTE}{previous.msgstr}")
        entry.tcomment = previous.tcomment
    entry.comment = "\n".join(notes)
    return entry


def _dedupe(entries: list[polib.POEntry]) -> list[polib.POEntry]:
    seen: set[tuple[str | None, str]] = set()
    kept = []
    for entry in entries:
        key = (entry.msgctxt, entry.msgid)
        if key not in seen:
            seen.add(key)
            kept.append(entry)
    return kept


def _set_header(po: polib.POFile, *, lang: str, slug: str, source_path: str, now: dt.datetime, touch: bool) -> None:
    from babel.messages.plurals import get_plural

    stamp = now.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M+0000")
    meta = po.metadata
    plural = get_plural(lang)
    wanted = {
        "Project-Id-Version": f"tarjama {slug}",
        "Report-Msgid-Bugs-To": meta.get("Report-Msgid-Bugs-To", ""),
        "POT-Creation-Date": meta.get("POT-Creation-Date") or stamp,
        "PO-Revision-Date": stamp if touch or not meta.get("PO-Revision-Date") else meta["PO-Revision-Date"],
        "Last-Translator": meta.get("Last-Translator") or "tarjama machine translation <>",
        "Language-Team": meta.get("Language-Team") or f"{lang} <>",
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": f"nplurals={plural.num_plurals}; plural={plural.plural_expr};",
        "X-Generator": f"tarjama {__version__}",
        "X-Source-Language": SOURCE_LANGUAGE,
        "X-Tarjama-Slug": slug,
        "X-Tarjama-Source": source_path,
    }
    extra = {k: v for k, v in meta.items() if k not in wanted}
    po.metadata = {**wanted, **extra}
    po.header = po.header or f"tarjama drafts of {slug} ({SOURCE_LANGUAGE} -> {lang})"
