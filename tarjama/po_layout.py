"""Write polib's PO model in GNU gettext's layout: byte for byte what ``msgcat`` writes.

polib wraps strings with ``textwrap`` at 78 columns and re-wraps long comments;
gettext wraps strings at 79 columns with Unicode line breaking (UAX #14, by
display width) and writes comments as they are. A catalog in polib's layout is
therefore rewritten whole by msgcat, Poedit, Lokalize or Weblate on their first
save, and a catalog kept in git gets whole-file diffs.

The first-line rule and the escapes follow gettext's ``write-po.c``; the line
breaks themselves come from libunistring's ``ulc_width_linebreaks``, the very
function msgcat calls (loaded with ctypes; Debian's gettext depends on
libunistring). Where libunistring is missing, a port of that greedy fill runs
on UAX #14 opportunities from ``unicode_segmentation_rs``: close, but without
libunistring's tailorings (it breaks after ``, ; : .`` before a letter), so a
few lines may differ from msgcat there. ``unicode_segmentation_rs.gettext_wrap``
is not used: it counts Arabic lam-alef as one column where gettext counts two.
polib stays the model and the reader.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import polib
from unicode_segmentation_rs import line_breaks

PAGE_WIDTH = 79
FUZZY = "fuzzy"


def render_po(po: polib.POFile, entries: Iterable[str] | None = None) -> str:
    """The whole catalog as gettext writes it (``entries``: already rendered entries, to reuse them)."""
    parts = [_header_comment(po.header) + render_entry(po.metadata_as_entry())]
    parts += list(entries) if entries is not None else [render_entry(e) for e in ordered_entries(po)]
    return "\n".join(parts)


def ordered_entries(po: polib.POFile) -> list[polib.POEntry]:
    """Active entries first, then obsolete ones, each in catalog order, as gettext writes them (it drops
    an obsolete entry that has no translation: nothing would be kept)."""
    return [e for e in po if not e.obsolete] + [e for e in po if e.obsolete and _translated(e)]


def _translated(entry: polib.POEntry) -> bool:
    return bool(entry.msgstr or any(entry.msgstr_plural.values()))


def render_entry(entry: polib.POEntry) -> str:
    """One entry, ending with a newline."""
    lines: list[str] = []
    lines += _comment_lines("#", entry.tcomment)
    lines += _comment_lines("#.", entry.comment)
    if entry.occurrences and not entry.obsolete:
        lines += _references(entry.occurrences)
    flags = [f for f in dict.fromkeys(entry.flags) if f != FUZZY or _translated(entry)]  # gettext: untranslated is never fuzzy
    if flags:
        lines.append("#, " + ", ".join(sorted(flags, key=lambda f: f != FUZZY)))
    previous = "#~| " if entry.obsolete else "#| "
    for keyword, value in (("msgctxt", entry.previous_msgctxt), ("msgid", entry.previous_msgid),
                           ("msgid_plural", entry.previous_msgid_plural)):
        if value is not None:
            lines += string_lines(previous, keyword, value)
    prefix = "#~ " if entry.obsolete else ""
    if entry.msgctxt is not None:
        lines += string_lines(prefix, "msgctxt", entry.msgctxt)
    lines += string_lines(prefix, "msgid", entry.msgid)
    if entry.msgid_plural:
        lines += string_lines(prefix, "msgid_plural", entry.msgid_plural)
    if entry.msgstr_plural:
        for index in sorted(entry.msgstr_plural, key=int):
            lines += string_lines(prefix, f"msgstr[{index}]", entry.msgstr_plural[index])
    else:
        lines += string_lines(prefix, "msgstr", entry.msgstr)
    return "\n".join(lines) + "\n"


def string_lines(prefix: str, keyword: str, value: str) -> list[str]:
    """``keyword "value"`` on one line when it fits and holds no inner newline; otherwise an empty first
    string, then the value cut after each ``\\n`` and wherever a line would pass 79 columns."""
    width = PAGE_WIDTH - 2 - len(prefix)  # room left for the text between the two quotes
    portions = _portions(value)
    lines: list[str] = []
    first = True
    for index, raw in enumerate(portions):
        escaped, prohibited = _escape(raw)
        startcol = len(keyword) + 1 if first else 0
        breaks = _breaks(escaped, width, startcol, prohibited)
        if first and escaped and (index < len(portions) - 1 or startcol > width or breaks):
            lines.append(f'{prefix}{keyword} ""')
            first = False
            breaks = _breaks(escaped, width, 0, prohibited)
        cuts = [0, *breaks, len(escaped)]
        pieces = [escaped[a:b] for a, b in itertools.pairwise(cuts)]
        if first:
            lines.append(f'{prefix}{keyword} "{pieces[0]}"')
            first = False
        else:
            lines += [f'{prefix}"{piece}"' for piece in pieces]
    return lines


def _portions(value: str) -> list[str]:
    """The value cut after each newline (gettext starts a new line there); an empty value is one portion."""
    portions = value.split("\n")
    tail = portions.pop()
    portions = [portion + "\n" for portion in portions]
    return [*portions, tail] if tail or not portions else portions


def _escape(raw: str) -> tuple[str, set[int]]:
    """polib's escaping of one portion, and the positions where no break may fall: inside an escape
    sequence, and just before a final ``\\n``."""
    escaped = polib.escape(raw)
    prohibited = {i + 1 for i in _escape_starts(escaped)}
    if raw.endswith("\n"):
        prohibited.add(len(escaped) - 2)
    return escaped, prohibited


def _escape_starts(escaped: str) -> list[int]:
    starts, index = [], 0
    while index < len(escaped):
        if escaped[index] == "\\":
            starts.append(index)
            index += 2
        else:
            index += 1
    return starts


_UC_BREAK_PROHIBITED, _UC_BREAK_POSSIBLE = 1, 2


@lru_cache(maxsize=1)
def _unistring():
    """libunistring's ``ulc_width_linebreaks`` (the v2 entry point where the library has it), or None."""
    names = ("libunistring.so.5", "libunistring.so.2", "libunistring.dylib", "libunistring.5.dylib")
    for name in (*names, None):  # the known names first: find_library runs ldconfig, which takes a while
        try:
            lib = ctypes.CDLL(name or ctypes.util.find_library("unistring") or "libunistring.so")
        except OSError:
            continue
        function = getattr(lib, "ulc_width_linebreaks_v2", None) or getattr(lib, "ulc_width_linebreaks", None)
        if function is not None:
            function.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                 ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
            function.restype = ctypes.c_int
            return function
    return None


def _breaks(text: str, width: int, startcol: int, prohibited: set[int]) -> tuple[int, ...]:
    """Character positions where gettext breaks ``text`` into lines of ``width`` columns."""
    return _breaks_cached(text, width, startcol, frozenset(prohibited))


@lru_cache(maxsize=65_536)  # header lines and unchanged strings come back on every save of a catalog
def _breaks_cached(text: str, width: int, startcol: int, prohibited: frozenset[int]) -> tuple[int, ...]:
    function = _unistring()
    if function is None:
        return tuple(_linebreaks(text, width, startcol, set(prohibited)))
    data = text.encode("utf-8")
    overrides = bytearray(data.translate(_NOT_A_CHARACTER_START))  # never inside a character
    for index in prohibited:
        overrides[len(text[:index].encode("utf-8"))] = _UC_BREAK_PROHIBITED
    result = ctypes.create_string_buffer(len(data))
    function(data, len(data), width, startcol, 0, bytes(overrides), b"UTF-8", result)
    raw, breaks, at = result.raw, [], -1
    while (at := raw.find(_POSSIBLE_BYTE, at + 1)) != -1:
        breaks.append(len(data[:at].decode("utf-8")))
    return tuple(breaks)


_NOT_A_CHARACTER_START = bytes(_UC_BREAK_PROHIBITED if 0x80 <= b < 0xC0 else 0 for b in range(256))
_POSSIBLE_BYTE = bytes([_UC_BREAK_POSSIBLE])


def _linebreaks(text: str, width: int, startcol: int, prohibited: set[int]) -> list[int]:
    """The fallback: libunistring's greedy fill ported onto UAX #14 opportunities: break at the last
    opportunity before a piece would pass ``width`` columns (``startcol`` already used on the first line)."""
    possible, mandatory = _opportunities(text)
    breaks: list[int] = []
    last: int | None = None
    last_column, piece = startcol, 0
    for index, ch in enumerate(text):
        kind = None if index in prohibited else ("mandatory" if index in mandatory else
                                                 "possible" if index in possible else None)
        if kind and last is not None and last_column + piece > width:
            breaks.append(last)
            last_column = 0
        if kind == "mandatory":
            last, last_column, piece = None, 0, 0
        else:
            if kind == "possible":
                last, last_column, piece = index, last_column + piece, 0
            piece += _width(ch)
    if last is not None and last_column + piece > width:
        breaks.append(last)
    return breaks


def _opportunities(text: str) -> tuple[set[int], set[int]]:
    """Character positions before which UAX #14 allows (or forces) a line break."""
    offsets, position = {}, 0
    for index, ch in enumerate(text):
        offsets[position] = index
        position += len(ch.encode("utf-8"))
    possible, mandatory = set(), set()
    for offset, forced in line_breaks(text):
        index = offsets.get(offset)
        if index is None or index == 0:
            continue  # the end of the text, or before its first character
        (mandatory if forced else possible).add(index)
    return possible, mandatory


_VISIBLE_FORMAT = {0x00AD, *range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x110BD, 0x110CD}


def _width(ch: str) -> int:
    """Columns of a character as libunistring's ``uc_width`` counts them (combining marks take none)."""
    code = ord(ch)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return 0
    category = unicodedata.category(ch)
    if category in ("Mn", "Me") or (category == "Cf" and code not in _VISIBLE_FORMAT):
        return 0
    if 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF:
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _comment_lines(mark: str, text: str | None) -> list[str]:
    """Comments as they are, one ``#`` line per line (gettext never re-wraps them); an empty line is bare."""
    if not text:
        return []
    return [f"{mark} {line}" if line else mark for line in text.split("\n")]


def _references(occurrences: list[tuple[str, str]]) -> list[str]:
    """``#:`` lines: references separated by spaces, wrapped at 79 columns between references."""
    refs = [f"{path}:{line}" if line else path for path, line in occurrences]
    lines, current = [], "#:"
    for ref in refs:
        if current != "#:" and len(current) + 1 + len(ref) > PAGE_WIDTH:
            lines.append(current)
            current = "#:"
        current += " " + ref
    lines.append(current)
    return lines


def _header_comment(header: str) -> str:
    if not header:
        return ""
    return "".join("#\n" if not line else (f"#{line}\n" if line[:1] in ",:.|~" else f"# {line}\n")
                   for line in header.split("\n"))
