"""What the review desk shows beside each segment: QA findings, glossary terms, memory matches, other engines.

Computed for a whole page when it is opened (one pass of the checks over the
item) and for one segment after a save, so a save stays cheap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tarjama.catalog_store import read_item_catalogs
from tarjama.glossary import load_glossary
from tarjama.machine_drafts import read_machine_drafts
from tarjama.memory import close_many
from tarjama.qa.run import Finding, check_catalog
from tarjama.settings import current_settings
from tarjama.workspace import Workspace


@dataclass
class Aids:
    """Help for one segment; each suggestion can be inserted into the translation with one key or click."""

    findings: list[dict] = field(default_factory=list)
    terms: list[dict] = field(default_factory=list)  # {"ar", "text", "note"}
    memory: list[dict] = field(default_factory=list)  # {"text", "score", "origin", "diff"}
    alternatives: list[dict] = field(default_factory=list)  # {"provider", "text"}

    @property
    def blocking(self) -> int:
        return sum(1 for f in self.findings if f["blocks"])

    def as_dict(self) -> dict:
        return {**asdict(self), "blocking": self.blocking}


def _finding(f: Finding) -> dict:
    return {"check": f.check, "severity": f.severity.value, "message": f.message, "detail": f.detail,
            "overridden": f.overridden, "blocks": f.blocks, "key": f.key}


def segment_findings(workspace: Workspace, slug: str, lang: str, segment_id: str) -> list[dict]:
    """One segment's findings after a save: only what a save can change, so a save stays cheap."""
    catalogs = read_item_catalogs(workspace.item_dir(slug))
    entries = [e for e in catalogs.get(lang) or [] if not e.obsolete and e.msgctxt == segment_id]
    off = current_settings(workspace.config_file).qa.off
    return [_finding(f) for f in check_catalog(entries, lang, glossary=load_glossary(workspace.root),
                                                 others=catalogs, off=off)]


def page_aids(workspace: Workspace, slug: str, lang: str) -> dict[str, Aids]:
    """Aids per segment id of ``lang``, for the review page."""
    catalogs = read_item_catalogs(workspace.item_dir(slug))
    mine = catalogs.get(lang)
    if mine is None:
        return {}
    chosen = [e for e in mine if not e.obsolete]
    glossary = load_glossary(workspace.root)
    off = current_settings(workspace.config_file).qa.off
    machine = read_machine_drafts(workspace.catalog_path(slug, lang))
    aids: dict[str, Aids] = {e.msgctxt or "": Aids() for e in chosen}
    for f in check_catalog(chosen, lang, glossary=glossary, others=catalogs, off=off):
        aids[f.segment].findings.append(_finding(f))
    base = lang.split("_")[0]
    remembered = close_many(workspace, [e.msgid for e in chosen], lang, exclude_item=slug)
    for entry in chosen:
        aid = aids[entry.msgctxt or ""]
        aid.terms = [{"ar": t.ar, "text": t.rendering(base), "note": t.note} for t in glossary.found_in(entry.msgid)]
        aid.memory = [{"text": m.target, "score": m.score, "origin": m.origin(), "diff": m.source_diff(entry.msgid)}
                      for m in remembered[entry.msgid] if m.target != entry.msgstr]
        record = machine.get(entry.msgid) or {}
        aid.alternatives = [{"provider": p, "text": t} for p, t in (record.get("alternatives") or {}).items()]
    return aids
