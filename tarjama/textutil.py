"""Small text facts shared by ingest, segmentation and MT checks."""

from __future__ import annotations

import re
import unicodedata

_ARABIC_RANGES = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)
_NBSP = "\u00a0\u2007\u202f\u2060\ufeff"
_SPACE_RUN = re.compile(r"[ \t\f\v" + _NBSP + r"]+")
_BLANK_RUN = re.compile(r"\n{3,}")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~{}])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])(\s)", re.MULTILINE)
_MD_UNDERLINE = re.compile(r"^([ \t]*)([-=])(?=[-= \t]*$)", re.MULTILINE)  # "---" / "===": a setext heading's underline


def is_arabic_letter(ch: str) -> bool:
    """True for a letter of the Arabic script (not Arabic digits or punctuation)."""
    code = ord(ch)
    return ch.isalpha() and any(lo <= code <= hi for lo, hi in _ARABIC_RANGES)


def letters(text: str) -> list[str]:
    """The alphabetic characters of ``text`` (any script)."""
    return [ch for ch in text if ch.isalpha()]


def arabic_ratio(text: str) -> float:
    """Share of letters that are Arabic; 0.0 when the text has no letters."""
    found = letters(text)
    if not found:
        return 0.0
    return sum(1 for ch in found if is_arabic_letter(ch)) / len(found)


def has_letters(text: str) -> bool:
    """Whether there is anything to translate (numbers and punctuation are copied)."""
    return any(ch.isalpha() for ch in text)


def normalise_whitespace(text: str) -> str:
    """Unify line ends, turn no-break spaces into spaces, collapse space runs,
    drop trailing spaces and collapse runs of blank lines; keep all else verbatim."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACE_RUN.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip()


def is_control_heavy(text: str) -> bool:
    """Binary data decoded as text: NUL bytes or many control characters."""
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f\v")
    return controls > max(8, len(text) // 100)


def strip_controls(text: str) -> str:
    """``text`` without control characters (C0 but tab and line feed, DEL, C1) or lone surrogates: what an engine
    sends back goes into catalogs, terminals and pages, where a NUL cuts a ``.mo`` and an ESC drives a terminal."""
    if text.isprintable():
        return text
    return "".join(ch for ch in text if ch in "\t\n" or unicodedata.category(ch) not in ("Cc", "Cs"))


def escape_markdown(text: str) -> str:
    """Text shown literally in Markdown (published pages, Prefect artifacts): markup, links and
    list or heading markers (``#`` and a setext ``---`` / ``===`` underline) are backslash-escaped, so nothing in
    a source or a translation renders as markup."""
    text = _MD_LINE_START.sub(r"\1\\\2\3", _MD_SPECIAL.sub(r"\\\1", text))
    return _MD_UNDERLINE.sub(r"\1\\\2", text)
