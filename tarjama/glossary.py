"""The newsroom's glossary: ``glossary.csv`` in the workspace root, one term per row.

Header ``ar,fr,en,note``; an empty target means "keep the term as it is" (a
name or acronym the desk does not translate). Terms are found in Arabic text
on folded forms (:mod:`tarjama.arabic`) and with attached prefixes, so
``والأمم المتحدة`` finds the term ``الأمم المتحدة``. The MT engines that take a
glossary (DeepL, LLMs) get it; ``tarjama glossary check`` reports malformed
rows.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from tarjama.arabic import attached_forms, words
from tarjama.errors import InputError
from tarjama.fsio import ParsedFiles
from tarjama.textutil import arabic_ratio

GLOSSARY_FILE = "glossary.csv"
HEADER = ("ar", "fr", "en", "note")
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class Term:
    """One glossary row: the Arabic term and what each language writes for it (empty: keep as is)."""

    ar: str
    targets: tuple[tuple[str, str], ...]  # (lang, rendering) for each target column
    note: str = ""
    line: int = 0

    def rendering(self, lang: str) -> str:
        """What ``lang`` writes for the term; the term itself when the row says to keep it."""
        value = dict(self.targets).get(lang.split("_")[0], "")
        return value or self.ar


@dataclass(frozen=True)
class Glossary:
    """The terms of one workspace, with an index on folded first words for matching in text."""

    terms: tuple[Term, ...]
    digest: str

    def __post_init__(self) -> None:
        index: dict[str, list[tuple[list[str], Term]]] = {}
        for term in self.terms:
            parts = words(term.ar)
            if parts:
                for form in attached_forms(parts[0]):
                    index.setdefault(form, []).append((parts[1:], term))
        object.__setattr__(self, "_index", index)

    def __bool__(self) -> bool:
        return bool(self.terms)

    def found_in(self, text: str) -> list[Term]:
        """The terms that occur in ``text`` (folded, prefixes tolerated), in order of first occurrence."""
        seen: dict[str, Term] = {}
        tokens = words(text)
        for i, token in enumerate(tokens):
            for rest, term in self._index.get(token, ()):  # type: ignore[attr-defined]
                if tokens[i + 1:i + 1 + len(rest)] == rest:
                    seen.setdefault(term.ar, term)
        return list(seen.values())

    def entries(self, lang: str) -> dict[str, str]:
        """Source term -> rendering in ``lang``, as an engine's glossary takes it."""
        return {term.ar: term.rendering(lang) for term in self.terms}

    def digest_for(self, lang: str) -> str:
        """Changes exactly when the entries for ``lang`` change (so a remote copy is replaced only then)."""
        data = "\n".join(f"{src}\t{dst}" for src, dst in sorted(self.entries(lang).items()))
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


EMPTY = Glossary((), "")


def glossary_path(root: Path) -> Path:
    return root / GLOSSARY_FILE


def check_glossary(root: Path) -> tuple[list[Term], list[str]]:
    """Read ``glossary.csv``: its terms, and one line per malformed row (file and line named)."""
    path = glossary_path(root)
    shown = path.name
    try:
        if path.stat().st_size > MAX_BYTES:
            return [], [f"{shown}: larger than {MAX_BYTES // 1_000_000} MB; is it the right file?"]
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        return [], [f"{shown}: cannot read it ({exc.strerror})"]
    except UnicodeDecodeError as exc:
        return [], [f"{shown}: not UTF-8 (byte {exc.start}); save it as UTF-8"]
    try:
        rows = list(csv.reader(text.splitlines(), strict=True))
    except csv.Error as exc:
        return [], [f"{shown}: unreadable CSV ({exc}); check its quotes"]
    if not rows:
        return [], []
    header = tuple(cell.strip().lower() for cell in rows[0])
    if header[:1] != ("ar",) or len(header) < 2 or len(set(header)) != len(header) or any(not h for h in header):
        return [], [f"{shown}:1: the header must be ar,fr,en,note (ar first, then target languages, note optional)"]
    langs = [h for h in header[1:] if h != "note"]
    note_at = header.index("note") if "note" in header else None
    terms: list[Term] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{shown}:{line}"
        if len(row) != len(header):
            problems.append(f"{where}: {len(row)} columns where the header has {len(header)}; quote cells with commas")
            continue
        cells = dict(zip(header, (cell.strip() for cell in row), strict=True))
        ar = cells["ar"]
        bad = next((c for c in row if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in c)), None)
        if bad is not None:
            problems.append(f"{where}: a control character in a cell; remove it")
            continue
        if not ar or not words(ar):
            problems.append(f"{where}: the ar cell is empty; every row needs its Arabic term")
            continue
        wrong = [lang for lang in langs if cells[lang] and arabic_ratio(cells[lang]) > 0.5]
        if wrong:
            problems.append(f"{where}: the {wrong[0]} cell is Arabic; leave it empty to keep the term as is")
            continue
        key = " ".join(words(ar))
        if key in first_line:
            problems.append(f"{where}: {ar!r} is already on line {first_line[key]} (same term once spelling is "
                            "folded); keep one row")
            continue
        first_line[key] = line
        note = row[note_at].strip() if note_at is not None else ""
        terms.append(Term(ar=ar, targets=tuple((lang, cells[lang]) for lang in langs), note=note, line=line))
    return terms, problems


def load_glossary(root: Path) -> Glossary:
    """The workspace's glossary (empty when there is none); a malformed one is refused with its first problem.
    Read again only when the file changed (the desk asks on every page and save)."""
    return _parsed.get(glossary_path(root))


def _read_glossary(path: Path) -> Glossary:
    terms, problems = check_glossary(path.parent)
    if problems:
        more = f" (and {len(problems) - 1} more: `tarjama glossary check`)" if len(problems) > 1 else ""
        raise InputError(problems[0] + more)
    data = "\n".join(f"{t.ar}\t{t.targets}" for t in terms)
    return Glossary(tuple(terms), hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]) if terms else EMPTY


_parsed: ParsedFiles[Glossary] = ParsedFiles(_read_glossary, maxsize=32)
