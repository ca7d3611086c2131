"""The one way catalogs are read and written, by the flow, the desk and the CLI alike.

* Reading is strict. translate-toolkit's PO parser (the one Weblate uses)
  checks the file first, because polib reads files that gettext rejects: a
  reviewed translation missing its closing quote comes back one character
  short. Invalid escapes and duplicate entries, which that parser lets
  through, are checked here. A catalog that fails is a :class:`CatalogError`
  naming the file and line, and it is never rewritten.
* Writing uses gettext's layout (:mod:`tarjama.po_layout`), one atomic rename,
  under the catalog's lock (threads of this process, then other processes).
* One cache owner: the parsed catalog is kept per file while its bytes are
  unchanged. A change works on a copy; the cache takes the copy only once the
  file is written, so a failed write never leaves a half-applied catalog
  behind.
* Group commit: changes that arrive while a catalog is being written are
  applied together and written once (the desk's reviewers saving at once).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import polib
from cachetools import LRUCache

from tarjama.errors import CatalogError
from tarjama.fsio import append_jsonl, atomic_write_text, locked
from tarjama.po_layout import ordered_entries, render_entry, render_po

T = TypeVar("T")
WRAP_WIDTH = 79
LOCK_TIMEOUT = 10.0
_STRING_LINE = re.compile(r'^(?:#~\s*)?(?:#\|\s*)?(?:msg\w+(?:\[\d+\])?\s+)?"(.*)"\s*$')
_BAD_ESCAPE = re.compile(r'\\(?:[^ntbrfva\\"\'?0-7x]|x(?![0-9A-Fa-f])|$)')


@dataclass
class Edit:
    """What a change works on: a private copy of the catalog (None while there is none; assign a new
    one to create it), whether it changed, and audit events to append once it is written."""

    po: polib.POFile | None
    changed: bool = False
    audit: list[dict] = field(default_factory=list)


Change = Callable[[Edit], T]


def catalog_lock(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def audit_path(path: Path) -> Path:
    """``fr.po`` -> ``fr.audit.jsonl``: who changed which segment, when, before and after."""
    return path.with_suffix(".audit.jsonl")


def parse_catalog(path: Path, data: bytes) -> polib.POFile:
    """A catalog's bytes as polib's model, or a CatalogError naming the file and the first bad line."""
    from translate.storage import pypo
    from translate.storage.poparser import PoParseError

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _broken(path, line, f"not UTF-8 (byte 0x{data[exc.start]:02x})") from None
    try:
        pypo.pofile.parsestring(data)
    except PoParseError as exc:
        raise _broken(path, _line_of(exc, text), _reason(exc)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _broken(path, None, str(exc)) from None
    for number, line in enumerate(text.split("\n"), start=1):
        match = _STRING_LINE.match(line)
        if match and _BAD_ESCAPE.search(match.group(1)):
            raise _broken(path, number, "invalid escape sequence in a string")
    try:
        po = polib.pofile(text, encoding="utf-8", wrapwidth=WRAP_WIDTH)
    except (OSError, ValueError) as exc:
        raise _broken(path, None, str(exc)) from None
    seen: dict[tuple[str | None, str], int | None] = {}
    for entry in po:
        if entry.obsolete:
            continue
        key = (entry.msgctxt, entry.msgid)
        if key in seen:
            raise _broken(path, entry.linenum, f"duplicate entry {entry.msgctxt or entry.msgid[:30]!r} "
                                               f"(first at line {seen[key]})")
        seen[key] = entry.linenum
    _remember_lines(po, text)
    return po


def _remember_lines(po: polib.POFile, text: str) -> None:
    """Keep each entry's lines as the file has them, for :func:`render_catalog` to write back while the entry is
    unchanged. Weblate (translate-toolkit) wraps at 77 characters where gettext fills 79 columns, and Poedit or a
    text editor may write other layouts: re-wrapping what tarjama did not change would put every other tool's
    lines into git diffs. Kept only where each blank-line-separated block of the file is one entry (and the
    first, the header): a file laid out any other way is rewritten whole in gettext's layout, as before."""
    lines = text.split("\n")
    blocks: list[tuple[int, int]] = []
    start = None
    for number, line in enumerate(lines):
        if line.strip() and start is None:
            start = number
        elif not line.strip() and start is not None:
            blocks.append((start, number))
            start = None
    if start is not None:
        blocks.append((start, len(lines)))
    block_of = {number: index for index, (first, end) in enumerate(blocks) for number in range(first, end)}
    owners: dict[int, polib.POEntry] = {}
    for entry in po:
        index = block_of.get((entry.linenum or 0) - 1)
        if index is None or index in owners:
            return
        owners[index] = entry
    header = [index for index in range(len(blocks)) if index not in owners]
    if header not in ([], [0]) or (header and 'msgid ""' not in lines[blocks[0][0]:blocks[0][1]]):
        return
    for index, entry in owners.items():
        first, end = blocks[index]
        entry.__dict__[_MEMO] = (_render_key(entry), "\n".join(lines[first:end]) + "\n")
    if header:
        first, end = blocks[0]
        po.__dict__[_HEADER_MEMO] = (_header_key(po), "\n".join(lines[first:end]) + "\n")


def _broken(path: Path, line: int | None, reason: str) -> CatalogError:
    where = f"{path}:{line}" if line else str(path)
    return CatalogError(f"{where}: {reason}; tarjama cannot read this catalog safely and left it untouched: "
                        "fix that line in a PO editor (msgfmt -c shows what gettext sees), then run again")


def _reason(exc: Exception) -> str:
    return re.sub(r"\s+on line \d+.*$", "", str(exc), flags=re.S)


def _line_of(exc: Exception, text: str) -> int | None:
    """The line translate-toolkit reports; for obsolete entries (parsed apart) find it by its text."""
    match = re.search(r"on line (\d+): '(.*)'$", str(exc), flags=re.S)
    if not match:
        return None
    number, shown = int(match.group(1)), match.group(2).encode().decode("unicode_escape").rstrip("\n")
    lines = text.split("\n")
    if 0 < number <= len(lines) and lines[number - 1] == shown:
        return number
    return next((n for n, line in enumerate(lines, start=1) if shown and line.endswith(shown)), number)


def clone(po: polib.POFile) -> polib.POFile:
    """A private copy to change (entries hold only strings besides these lists and dicts)."""
    new = polib.POFile(wrapwidth=po.wrapwidth, encoding=po.encoding, check_for_duplicates=False)
    new.header, new.metadata, new.metadata_is_fuzzy = po.header, dict(po.metadata), po.metadata_is_fuzzy
    if _HEADER_MEMO in po.__dict__:
        new.__dict__[_HEADER_MEMO] = po.__dict__[_HEADER_MEMO]
    twins = []
    for entry in po:
        twin = object.__new__(type(entry))  # copy.copy goes through __reduce_ex__: six times slower here
        twin.__dict__ = {**entry.__dict__, "flags": list(entry.flags), "occurrences": list(entry.occurrences),
                         "msgstr_plural": dict(entry.msgstr_plural)}
        twins.append(twin)
    list.extend(new, twins)  # polib's append checks each entry again; these are a catalog's own entries
    return new


_RENDERED: LRUCache = LRUCache(maxsize=50_000)
_RENDERED_LOCK = threading.Lock()
_MEMO = "_tarjama_rendered"  # (key, text) kept on the entry itself; a clone carries it along
_HEADER_MEMO = "_tarjama_header_lines"  # (key, text): the header's lines as read


def render_catalog(po: polib.POFile) -> str:
    """The catalog's text: entries changed here in gettext's layout, unchanged ones as the file had them
    (:func:`_remember_lines`); renderings are reused (about 0.3 ms each with libunistring's line breaking:
    the desk saves a 300-segment catalog many times a minute)."""
    entries = [_rendered(entry) for entry in ordered_entries(po)]
    memo = po.__dict__.get(_HEADER_MEMO)
    if memo is not None and memo[0] == _header_key(po):
        return "\n".join([memo[1], *entries])
    return render_po(po, entries)


def _header_key(po: polib.POFile) -> tuple:
    return po.header, tuple(po.metadata.items()), po.metadata_is_fuzzy


def warm_render(po: polib.POFile | None) -> None:
    """Render every entry of a cached catalog once, so the first save after it is opened reuses the renderings
    instead of paying gettext's layout for all of them (the desk calls it when a review page is opened)."""
    if po is not None and not po.__dict__.get("_tarjama_warm"):
        for entry in ordered_entries(po):
            _rendered(entry)
        po.__dict__["_tarjama_warm"] = True


def _render_key(entry: polib.POEntry) -> tuple:
    """Everything of an entry that its text shows: an entry with the same key is written the same."""
    return (entry.obsolete, entry.msgctxt, entry.msgid, entry.msgid_plural, entry.msgstr,
            tuple(sorted(entry.msgstr_plural.items())), tuple(entry.flags), entry.comment, entry.tcomment,
            tuple(tuple(o) for o in entry.occurrences), entry.previous_msgctxt, entry.previous_msgid,
            entry.previous_msgid_plural)


def _rendered(entry: polib.POEntry) -> str:
    key = _render_key(entry)
    memo = entry.__dict__.get(_MEMO)
    if memo is not None and memo[0] == key:
        return memo[1]
    with _RENDERED_LOCK:
        text = _RENDERED.get(key)
    if text is None:
        text = render_entry(entry)
        with _RENDERED_LOCK:
            _RENDERED[key] = text
    entry.__dict__[_MEMO] = (key, text)
    return text


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


class _Catalog:
    """One catalog file in this process: its parsed model (read-only once cached) and pending changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.po: polib.POFile | None = None
        self.key: bytes | None = None
        self.mutex = threading.Lock()  # guards po/key
        self.queue_lock = threading.Lock()
        self.pending: list[tuple[Change, Future]] = []
        self.draining = False

    def current(self) -> polib.POFile | None:
        """The catalog as it is on disk now (None when there is none); re-parsed only when its bytes changed."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            self.po, self.key = None, None
            return None
        except OSError as exc:
            raise CatalogError(f"{self.path}: cannot read it ({exc.strerror})") from None
        key = _digest(data)
        if key != self.key or self.po is None:
            self.po, self.key = parse_catalog(self.path, data), key
        return self.po


class CatalogStore:
    """Reads and writes every catalog of this process (see the module docstring)."""

    def __init__(self) -> None:
        self._catalogs: dict[Path, _Catalog] = {}
        self._guard = threading.Lock()

    def _of(self, path: Path) -> _Catalog:
        path = Path(path)
        with self._guard:
            found = self._catalogs.get(path)
            if found is None:
                found = self._catalogs[path] = _Catalog(path)
            return found

    def read(self, path: Path) -> polib.POFile | None:
        """The catalog as it is on disk, shared with other readers: never change it (use :meth:`update`)."""
        catalog = self._of(path)
        with catalog.mutex:
            return catalog.current()

    def view(self, path: Path, fn: Callable[[polib.POFile | None], T]) -> T:
        """``fn`` on the current catalog, while no write replaces it in this process."""
        catalog = self._of(path)
        with catalog.mutex:
            return fn(catalog.current())

    def update(self, path: Path, change: Change, *, timeout: float = LOCK_TIMEOUT) -> T:
        """Apply ``change`` to a copy of the catalog as it is on disk now, write it if it changed, and return
        the change's result once the file (and its audit events) are on disk."""
        catalog = self._of(path)
        future: Future = Future()
        with catalog.queue_lock:
            catalog.pending.append((change, future))
            lead = not catalog.draining
            catalog.draining = catalog.draining or lead
        if lead:
            self._drain(catalog, timeout)
        return future.result()

    def _drain(self, catalog: _Catalog, timeout: float) -> None:
        while True:
            with catalog.queue_lock:
                batch, catalog.pending = catalog.pending, []
                if not batch:
                    catalog.draining = False
                    return
            try:
                done = self._commit(catalog, batch, timeout)
            except Exception as exc:  # the lock, the read or the write failed: every change of the batch fails
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for future, result in done:
                future.set_result(result)

    def _commit(self, catalog: _Catalog, batch: list[tuple[Change, Future]], timeout: float) -> list[tuple[Future, Any]]:
        with locked(catalog_lock(catalog.path), f"catalog {catalog.path}", timeout=timeout), catalog.mutex:
            base = catalog.current()
            edit, applied, done = Edit(clone(base) if base is not None else None), [], []
            for change, future in batch:
                try:
                    result = change(edit)
                except Exception as exc:  # this change only; the copy is rebuilt without its partial effects
                    future.set_exception(exc)
                    edit = _replay(base, applied)
                    continue
                applied.append(change)
                done.append((future, result))
            if edit.changed and edit.po is not None:
                text = render_catalog(edit.po)
                atomic_write_text(catalog.path, text)
                catalog.po, catalog.key = edit.po, _digest(text.encode("utf-8"))
                if edit.audit:
                    append_jsonl(audit_path(catalog.path), edit.audit, f"audit log of {catalog.path}")
            return done


def _replay(base: polib.POFile | None, changes: list[Change]) -> Edit:
    edit = Edit(clone(base) if base is not None else None)
    for change in changes:
        change(edit)
    return edit


STORE = CatalogStore()
"""The process's store: the flow, the desk and the CLI share it."""


def read_catalog(path: Path) -> polib.POFile | None:
    """The catalog at ``path`` (shared: do not change it), or None when there is none yet."""
    return STORE.read(path)


def read_item_catalogs(folder: Path, instead: Mapping[str, polib.POFile] | None = None) -> dict[str, polib.POFile]:
    """Every catalog of an item's folder, by language (what QA checks each language against). ``instead`` stands
    in for catalogs a caller is changing: those are not read (their lock is the caller's)."""
    instead = instead or {}
    found = {path.stem: instead[path.stem] if path.stem in instead else read_catalog(path)  # an empty one too
             for path in sorted(folder.glob("*.po"))}
    return {lang: po for lang, po in found.items() if po is not None}


def update_catalog(path: Path, change: Change, *, timeout: float = LOCK_TIMEOUT) -> T:
    """Change a catalog under its lock: the one way every writer edits a catalog."""
    return STORE.update(path, change, timeout=timeout)
