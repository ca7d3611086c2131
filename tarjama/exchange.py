"""XLIFF 2 exchange with CAT tools (translate-toolkit): export a language of an item, import it back.

The export carries each segment's id, Arabic source, translation and state, with the item's slug as the
``<file>`` id, and validates against the OASIS XLIFF 2.0 core schema (``xml:space`` on ``<source>`` and
``<target>``, where the schema allows it). States as XLIFF 2.0 defines them:

============================  =================  ==========================================
tarjama                        exported as        imported as
============================  =================  ==========================================
no translation                 ``initial``        no translation (nothing changes)
machine draft (fuzzy)          ``translated``     ``initial``, ``translated``: unreviewed (fuzzy)
reviewed (fuzzy cleared)       ``reviewed``       ``reviewed``, ``final``: reviewed
============================  =================  ==========================================

The import goes through the rules of a re-run: a translation whose source changed since the export is
refused for that segment and reported; a reviewed translation is never replaced by an unreviewed one; a
target is held to what the desk accepts from a person (no control characters, a length in proportion to its
source); everything else is merged under the catalog's lock, in one atomic write. A file that declares a
document type or entities, or whose ``trgLang`` is not a language code, is refused whole, before any path is
built from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tarjama.catalog import FUZZY
from tarjama.catalog_store import Edit, read_catalog, update_catalog
from tarjama.editing import check_text, max_translation_length
from tarjama.errors import InputError
from tarjama.workspace import Workspace, check_lang, check_slug
from tarjama.xml_input import refuse_declarations

NS = "{urn:oasis:names:tc:xliff:document:2.0}"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


@dataclass
class ImportReport:
    slug: str
    lang: str
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def export_xliff(workspace: Workspace, slug: str, lang: str) -> bytes:
    from translate.storage import xliff2

    path = workspace.catalog_path(slug, lang)
    po = read_catalog(path)
    if po is None:
        raise InputError(f"no catalog {workspace.relative(path)}: see `tarjama status` for what is translated")
    doc = xliff2.Xliff2File(sourcelanguage="ar", targetlanguage=lang)
    states = {}
    for entry in po:
        if entry.obsolete or not entry.msgctxt:
            continue
        unit = doc.addsourceunit(entry.msgid)
        unit.setid(entry.msgctxt)
        states[entry.msgctxt] = "initial"
        if entry.msgstr:
            unit.target = entry.msgstr
            states[entry.msgctxt] = "translated" if FUZZY in entry.flags else "reviewed"
    root = doc.document.getroot()
    for element in root.iter(f"{NS}file"):
        element.set("id", slug)
    for unit in root.iter(f"{NS}unit"):
        for segment in unit.iter(f"{NS}segment"):
            segment.attrib.pop(XML_SPACE, None)  # the core schema allows it on <source> and <target> only
            segment.set("state", states.get(unit.get("id"), "initial"))
            for child in segment:
                if child.tag in (f"{NS}source", f"{NS}target"):
                    child.set(XML_SPACE, "preserve")
    return bytes(doc)


def import_xliff(workspace: Workspace, data: bytes, name: str) -> ImportReport:
    """Merge an XLIFF 2 file made by :func:`export_xliff` (and edited in a CAT tool) into its catalog."""
    from translate.storage import xliff2

    refuse_declarations(data, name, kind="XLIFF")
    try:
        doc = xliff2.Xliff2File.parsestring(data)
        root = doc.document.getroot()
    except Exception as exc:  # lxml and translate-toolkit raise many types: any is the file's fault
        raise InputError(f"{name}: not a readable XLIFF 2 file ({type(exc).__name__}); export it again") from None
    lang = root.get("trgLang") or ""
    files = list(root.iter(f"{NS}file"))
    slug = files[0].get("id", "") if files else ""
    if not lang or not slug:
        raise InputError(f"{name}: no target language or item id; import a file made by `tarjama export`")
    check_slug(slug, field=f"{name}: <file id>")
    check_lang(lang, field=f"{name}: trgLang")
    path = workspace.catalog_path(slug, lang)
    if not path.exists():
        raise InputError(f"{name}: no catalog {workspace.relative(path)} for its item {slug!r} and language {lang}")
    units = [(u.getid(), u.source or "", u.target or "", u.isapproved()) for u in doc.units]  # reviewed or final only
    report = ImportReport(slug, lang)

    def change(edit: Edit) -> None:
        entries = {e.msgctxt: e for e in edit.po if not e.obsolete}
        for segment, source, target, reviewed in units:
            entry = entries.get(segment)
            if entry is None or entry.msgid != source:
                report.refused.append((segment, "its source changed since the export (or it is gone): translate "
                                                "the current source"))
                continue
            if not target.strip():
                report.unchanged.append(segment)
                continue
            try:
                target = check_text(f"{segment} translation", target, max_translation_length(source))
            except InputError as bad:
                report.refused.append((segment, str(bad)))
                continue
            was_reviewed = bool(entry.msgstr) and FUZZY not in entry.flags
            if was_reviewed and not reviewed and target != entry.msgstr:
                report.refused.append((segment, "unreviewed in the file but reviewed in the catalog: mark it "
                                                "reviewed in your tool to replace the reviewed translation"))
                continue
            flags = [f for f in entry.flags if f != FUZZY] + ([] if reviewed or was_reviewed else [FUZZY])
            if entry.msgstr == target and entry.flags == flags:
                report.unchanged.append(segment)
                continue
            entry.msgstr, entry.flags = target, flags
            report.updated.append(segment)
        edit.changed = bool(report.updated)

    update_catalog(path, change)
    return report


def default_name(slug: str, lang: str) -> Path:
    return Path(f"{slug}.{lang}.xliff")
