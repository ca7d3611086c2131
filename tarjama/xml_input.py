"""XML from outside (XLIFF, TMX) is read only without a document type of its own.

An internal DTD subset declares entities, and lxml (under translate-toolkit) then expands, or silently drops,
what they name: a file could grow a billion laughs or smuggle text past every check. XLIFF 2 defines no DTD
at all; TMX 1.4 files name theirs (``<!DOCTYPE tmx SYSTEM "tmx14.dtd">``, which nothing loads), so that bare
reference is the one declaration accepted, and only for TMX.
"""

from __future__ import annotations

import re

from tarjama.errors import InputError

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_BARE_DOCTYPE = re.compile(rb"<!DOCTYPE\s+[\w:.-]+(?:\s+(?:SYSTEM|PUBLIC)(?:\s+(?:\"[^\"]*\"|'[^']*'))+)?\s*>", re.IGNORECASE)


def refuse_declarations(data: bytes, name: str, *, kind: str, external_doctype: bool = False) -> None:
    """One line, before anything is parsed, for a file that declares entities or a document type."""
    text = data[:1_000_000]
    for bom, encoding in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
                          (b"\xfe\xff", "utf-16")):
        if text.startswith(bom):  # a wide encoding: look at its characters, not its bytes
            text = text.decode(encoding, errors="replace").encode("utf-8")
            break
    if _ENTITY.search(text):
        raise InputError(f"{name}: declares XML entities, which {kind} files never need; export it again "
                         "without a DOCTYPE (nothing was read)")
    doctype = _DOCTYPE.search(text)
    if doctype and not (external_doctype and _BARE_DOCTYPE.match(text, doctype.start())):
        raise InputError(f"{name}: declares a document type (<!DOCTYPE ...>), which {kind} files do not use; "
                         "export it again without it (nothing was read)")
