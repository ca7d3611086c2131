"""The translation memory: every approved segment, reusable by the next items (``.tarjama/memory.sqlite``).

An approval adds its language's reviewed segments (Arabic source, language,
translation, item, segment, reviewer, date); ``tarjama tm rebuild`` makes it
again from the approved catalogs, so the file is a cache of what the catalogs
hold, never the only copy. Sources are compared on folded Arabic
(:func:`tarjama.arabic.fold`, spaces collapsed): an exact match drafts a
sentence with no MT request; close matches (rapidfuzz, 75 and up) are offered
as suggestions with what differs in the source. SQLite because it is one file
beside the workspace, safe for several readers and one writer at a time, with
no server, and with a full-text index (FTS5) that finds close-match
candidates without reading the whole memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import math
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polib

from tarjama.arabic import fold
from tarjama.catalog import APPROVED_AT, APPROVED_BY, approval_holds
from tarjama.catalog_store import read_catalog
from tarjama.errors import InputError
from tarjama.fsio import locked
from tarjama.workspace import Workspace, check_lang
from tarjama.xml_input import refuse_declarations

MEMORY_FILE = "memory.sqlite"
CLOSE = 75.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
    key TEXT NOT NULL, source TEXT NOT NULL, lang TEXT NOT NULL, target TEXT NOT NULL,
    item TEXT NOT NULL, segment TEXT NOT NULL, reviewer TEXT NOT NULL, approved_at TEXT NOT NULL,
    PRIMARY KEY (lang, item, segment, key)
);
CREATE INDEX IF NOT EXISTS by_source ON segments (lang, key);
CREATE VIRTUAL TABLE IF NOT EXISTS keys_fts USING fts5(key, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, doc INTEGER NOT NULL) WITHOUT ROWID;
"""
# keys_fts indexes segments' keys by rowid; terms counts the rows holding each word (approximate: never
# decremented), only to pick a sentence's rarest words first. Both are written by _store, in bulk.


@dataclass(frozen=True)
class Match:
    """A remembered translation and where it came from; ``score`` 100 for an exact match."""

    source: str
    target: str
    lang: str
    item: str
    segment: str
    reviewer: str
    approved_at: str
    score: float = 100.0

    def origin(self) -> str:
        return f"{self.item} {self.segment}, approved by {self.reviewer} on {self.approved_at[:10]}"

    def source_diff(self, source: str) -> str:
        """What differs between the remembered source and ``source``: ``[-removed-]`` and ``{+added+}`` words."""
        old, new = self.source.split(), source.split()
        out = []
        for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
            if op == "equal":
                out.append(" ".join(old[a1:a2]))
            if op in ("delete", "replace"):
                out.append("[-" + " ".join(old[a1:a2]) + "-]")
            if op in ("insert", "replace"):
                out.append("{+" + " ".join(new[b1:b2]) + "+}")
        return " ".join(out)


def key_of(source: str) -> str:
    """The memory's key for a source: folded Arabic, one space between words."""
    return " ".join(fold(source).split())


def memory_path(workspace: Workspace) -> Path:
    return workspace.state_dir / MEMORY_FILE


BUSY_TIMEOUT = 30.0  # seconds a writer waits for another to finish


@contextlib.contextmanager
def _connect(workspace: Workspace, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """One transaction on the memory. A writer takes the write lock first (``BEGIN IMMEDIATE``): in WAL mode a
    transaction that reads before it writes is answered "database is locked" at once, without waiting, when
    another writer committed meanwhile; one that starts as a writer waits its turn (up to BUSY_TIMEOUT). Readers
    read one snapshot and never wait for writers."""
    path = memory_path(workspace)
    if not path.exists():
        _create(path)
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)  # transactions are begun here
    try:
        db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield db
        except BaseException:
            db.rollback()
            raise
        db.commit()
    finally:
        db.close()


def _create(path: Path) -> None:
    """The memory's file, in WAL mode with its schema, made once: first writers at once take turns on a lock (the
    switch to WAL is answered "database is locked" without waiting when another connection holds the new file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.with_name(f".{path.name}.create.lock"), "the translation memory", timeout=BUSY_TIMEOUT):
        if path.exists():  # another writer made it while this one waited
            return
        fresh = path.with_name(f".{path.name}.new")
        fresh.unlink(missing_ok=True)
        db = sqlite3.connect(fresh, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # persistent: every later connection finds it
            db.executescript(_SCHEMA)
        finally:
            db.close()  # the last connection to close checkpoints and removes the -wal file
        os.replace(fresh, path)  # a reader sees no file or the whole schema, never an empty database


def _store(db: sqlite3.Connection, rows: list[tuple[str, ...]]) -> None:
    """Insert or replace ``rows`` (segments' columns) and keep the full-text index and word counts with them."""
    where = "lang = ? AND item = ? AND segment = ? AND key = ?"
    replaced = [found for r in rows
                for found in db.execute(f"SELECT rowid FROM segments WHERE {where}", (r[2], r[4], r[5], r[0]))]
    db.executemany("DELETE FROM keys_fts WHERE rowid = ?", replaced)  # one rowid at a time: FTS5 looks it up
    db.executemany("DELETE FROM segments WHERE rowid = ?", replaced)
    (before,) = db.execute("SELECT coalesce(max(rowid), 0) FROM segments").fetchone()
    db.executemany("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("INSERT INTO keys_fts (rowid, key) SELECT rowid, key FROM segments WHERE rowid > ?", (before,))
    counts: dict[str, int] = {}
    for row in rows:
        for word in set(_TOKEN.findall(row[0])):
            counts[word] = counts.get(word, 0) + 1
    db.executemany("INSERT INTO terms VALUES (?, ?) ON CONFLICT (term) DO UPDATE SET doc = doc + excluded.doc",
                   list(counts.items()))


def _drop(db: sqlite3.Connection, where: str, params: tuple) -> None:
    gone = db.execute(f"SELECT rowid FROM segments WHERE {where}", params).fetchall()
    db.executemany("DELETE FROM keys_fts WHERE rowid = ?", gone)
    db.executemany("DELETE FROM segments WHERE rowid = ?", gone)


def _rows(slug: str, lang: str, po: polib.POFile, reviewer: str, at: str) -> list[tuple[str, ...]]:
    return [(key_of(e.msgid), e.msgid, lang, e.msgstr, slug, e.msgctxt or "", reviewer, at)
            for e in po if not e.obsolete and e.msgstr and "fuzzy" not in e.flags]


def remember(workspace: Workspace, slug: str, lang: str, po: polib.POFile) -> int:
    """Add (or refresh) the reviewed segments of an approved catalog; how many were written."""
    reviewer = po.metadata.get(APPROVED_BY, "")
    at = po.metadata.get(APPROVED_AT, "") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = _rows(slug, lang, po, reviewer, at)
    with _connect(workspace, write=True) as db:
        _drop(db, "item = ? AND lang = ?", (slug, lang))
        _store(db, rows)
    return len(rows)


def rebuild(workspace: Workspace) -> tuple[int, int]:
    """The memory made again from every approved catalog: (catalogs, segments)."""
    catalogs = segments = 0
    rows: list[tuple[str, ...]] = []
    for path in sorted(workspace.translations.glob("*/*.po")):
        po = read_catalog(path)
        if po is None or not po.metadata.get(APPROVED_BY) or not approval_holds(po):
            continue
        catalogs += 1
        rows += _rows(path.parent.name, path.stem, po, po.metadata[APPROVED_BY], po.metadata.get(APPROVED_AT, ""))
    with _connect(workspace, write=True) as db:
        db.execute("DELETE FROM segments")
        db.execute("DELETE FROM keys_fts")
        db.execute("DELETE FROM terms")
        _store(db, rows)
        segments = len(rows)
    return catalogs, segments


def _match(row: tuple, score: float = 100.0) -> Match:
    return Match(source=row[1], target=row[3], lang=row[2], item=row[4], segment=row[5], reviewer=row[6],
                 approved_at=row[7], score=round(score, 1))


def exact(workspace: Workspace, sources: Iterable[str], lang: str, *, exclude_item: str | None = None) -> dict[str, Match]:
    """The newest remembered translation of each source that the memory holds exactly (folded)."""
    if not memory_path(workspace).exists():
        return {}
    found: dict[str, Match] = {}
    with _connect(workspace) as db:
        for source in dict.fromkeys(sources):
            row = db.execute("SELECT * FROM segments WHERE lang = ? AND key = ? AND item != ? "
                             "ORDER BY approved_at DESC LIMIT 1", (lang, key_of(source), exclude_item or "")).fetchone()
            if row:
                found[source] = _match(row)
    return found


def close(workspace: Workspace, source: str, lang: str, *, limit: int = 3, cutoff: float = CLOSE,
          exclude_item: str | None = None) -> list[Match]:
    """Remembered translations whose source is at least ``cutoff`` similar (rapidfuzz ratio on folded text)."""
    return close_many(workspace, [source], lang, limit=limit, cutoff=cutoff, exclude_item=exclude_item)[source]


_TOKEN = re.compile(r"\w+")


def close_many(workspace: Workspace, sources: Iterable[str], lang: str, *, limit: int = 3, cutoff: float = CLOSE,
               exclude_item: str | None = None) -> dict[str, list[Match]]:
    """:func:`close` for many sources at once, without reading the whole memory.

    Candidates come from SQLite's full-text index of the folded sources by prefix filtering: a source that
    shares at least 70% of a sentence's n words holds one of its n - ceil(0.7 n) + 1 rarest words, so only
    rows holding one of those are read; rapidfuzz scores them. A 75% character match that shares fewer
    than 70% of the words (rare in news text) is not offered.
    """
    from rapidfuzz import fuzz, process

    sources = list(sources)
    found: dict[str, list[Match]] = {source: [] for source in sources}
    if not memory_path(workspace).exists():
        return found
    share = 0.7 if cutoff >= CLOSE else 0.3
    with _connect(workspace) as db:
        for source in sources:
            key = key_of(source)
            words = list(dict.fromkeys(_TOKEN.findall(key)))
            if not words:
                continue
            marks = ",".join("?" * len(words))
            df = dict(db.execute(f"SELECT term, doc FROM terms WHERE term IN ({marks})", words).fetchall())
            needed = max(1, len(words) - math.ceil(share * len(words)) + 1)
            rare = [w for w in sorted(words, key=lambda w: df.get(w, 0)) if df.get(w)][:needed]
            if not rare:
                continue
            query = " OR ".join('"' + w.replace('"', '""') + '"' for w in rare)
            low, high = math.floor(len(key) * (cutoff / (200 - cutoff))), math.ceil(len(key) * ((200 - cutoff) / cutoff))
            candidates = db.execute(  # CROSS JOIN: the index's matches first, then each row by rowid (never a scan)
                "SELECT s.rowid, s.key FROM keys_fts CROSS JOIN segments s ON s.rowid = keys_fts.rowid "
                "WHERE keys_fts MATCH ? AND s.lang = ? AND s.item != ? AND length(s.key) BETWEEN ? AND ?",
                (query, lang, exclude_item or "", low, high)).fetchall()
            best = process.extract(key, [c[1] for c in candidates], scorer=fuzz.ratio, score_cutoff=cutoff,
                                   limit=limit * 3)
            seen: set[tuple[str, str]] = set()
            for _, score, i in best:
                row = db.execute("SELECT * FROM segments WHERE rowid = ?", (candidates[i][0],)).fetchone()
                if (row[0], row[3]) not in seen and len(found[source]) < limit:
                    seen.add((row[0], row[3]))
                    found[source].append(_match(row, score))
    return found


def search(workspace: Workspace, text: str, lang: str | None = None, limit: int = 10) -> list[Match]:
    """For `tarjama tm search`: close matches in every language (or one), best first."""
    langs = [lang] if lang else _languages(workspace)
    found = [m for code in langs for m in close(workspace, text, code, limit=limit, cutoff=50.0)]
    return sorted(found, key=lambda m: -m.score)[:limit]


def _languages(workspace: Workspace) -> list[str]:
    if not memory_path(workspace).exists():
        return []
    with _connect(workspace) as db:
        return [r[0] for r in db.execute("SELECT DISTINCT lang FROM segments ORDER BY lang")]


def export_tmx(workspace: Workspace) -> bytes:
    """The whole memory as TMX 1.4 (translate-toolkit), for OmegaT, Trados, memoQ."""
    from translate.storage.tmx import tmxfile

    tmx = tmxfile(sourcelanguage="ar")
    if memory_path(workspace).exists():
        with _connect(workspace) as db:
            for row in db.execute("SELECT * FROM segments ORDER BY item, segment, lang"):
                tmx.addtranslation(row[1], "ar", row[3], row[2])
    return bytes(tmx)


def import_tmx(workspace: Workspace, data: bytes, name: str) -> int:
    """Add a TMX file's Arabic-source units (each target language); how many segments were added."""
    from translate.storage.tmx import tmxfile

    refuse_declarations(data, name, kind="TMX", external_doctype=True)
    try:
        tmx = tmxfile.parsestring(data)
    except Exception as exc:  # lxml's errors vary: any parse failure is the file's
        raise InputError(f"{name}: not a readable TMX file ({type(exc).__name__}); export it again as TMX 1.4") from None
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = []
    for n, unit in enumerate(tmx.units, start=1):
        nodes = unit.getlanguageNodes()
        langs = [(node.get(xml_lang) or node.get("lang") or "").split("-")[0].lower() for node in nodes]
        if "ar" not in langs:
            continue
        texts = [unit.getNodeText(node) or "" for node in nodes]
        source = texts[langs.index("ar")]
        for code, text in zip(langs, texts, strict=True):
            if code != "ar" and code and text.strip() and source.strip():
                check_lang(code, field=f"{name}: translation unit {n}, xml:lang")
                rows.append((key_of(source), source, code, text, f"tmx:{Path(name).name}", f"tu{n}", "imported", now))
    with _connect(workspace, write=True) as db:
        _store(db, rows)
    return len(rows)
