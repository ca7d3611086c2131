"""Run the QA checks over an item's catalogs: findings per segment, and the reviewer's overrides.

A critical finding blocks approval unless the reviewer overrides it with a
reason. An override is written into the catalog as a translator comment on
the entry (``qa-override numbers 3f9a2c1b: reason (Amina)``), tied to the
translation it was given for by a short digest: change the translation and
the override no longer applies. Translators see it in any PO editor.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import polib

from tarjama.glossary import Glossary
from tarjama.qa.checks import CHECKS, CROSS_CHECKS, Segment, Severity, cross_language

OVERRIDE = re.compile(r"^qa-override ([a-z-]+) ([0-9a-f]{8}): (.*)$")


@dataclass(frozen=True)
class Finding:
    """One check's finding on one segment; ``overridden`` is the reason a reviewer gave to let it pass."""

    lang: str
    segment: str
    check: str
    severity: Severity
    message: str
    detail: str
    overridden: str | None = None

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.CRITICAL and not self.overridden

    @property
    def key(self) -> str:
        """What a reviewer names to override it: ``p1.s2:numbers``."""
        return f"{self.segment}:{self.check}"

    def line(self) -> str:
        extra = f" [overridden: {self.overridden}]" if self.overridden else ""
        return f"{self.lang} {self.segment} {self.check} ({self.severity.value}): {self.message} {self.detail}{extra}"

    def as_dict(self) -> dict:
        return {**asdict(self), "severity": self.severity.value, "blocks": self.blocks}


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def overrides_of(entry: polib.POEntry) -> dict[str, str]:
    """The overrides recorded on ``entry`` that still hold for its current translation: check -> reason."""
    digest = text_digest(entry.msgstr)
    found = {}
    for line in (entry.tcomment or "").splitlines():
        match = OVERRIDE.match(line.strip())
        if match and match.group(2) == digest:
            found[match.group(1)] = match.group(3)
    return found


def add_override(entry: polib.POEntry, check: str, reason: str, reviewer: str) -> None:
    """Record on ``entry`` that ``reviewer`` let ``check`` pass for its current translation, and why."""
    reason = " ".join(reason.split())
    line = f"qa-override {check} {text_digest(entry.msgstr)}: {reason} ({reviewer})"
    kept = [ln for ln in (entry.tcomment or "").splitlines() if not ln.startswith(f"qa-override {check} ")]
    entry.tcomment = "\n".join([*kept, line])


def check_catalog(po: Iterable[polib.POEntry], lang: str, *, glossary: Glossary | None = None,
                  others: Mapping[str, polib.POFile] | None = None, off: Iterable[str] = ()) -> list[Finding]:
    """Every finding on the translated entries of ``po`` (a catalog, or some of its entries), in order."""
    disabled = set(off)
    reviewed: dict[str, dict[tuple[str | None, str], str]] = {}
    drafts: dict[str, dict[tuple[str | None, str], str]] = {}
    for other_lang, other in (others or {}).items():
        if other_lang == lang:
            continue
        for e in other:
            if not e.obsolete and e.msgstr:
                (drafts if e.fuzzy else reviewed).setdefault(other_lang, {})[(e.msgctxt, e.msgid)] = e.msgstr
    findings: list[Finding] = []
    for entry in po:
        if entry.obsolete or not entry.msgstr:
            continue
        key = (entry.msgctxt, entry.msgid)
        seg = Segment(id=entry.msgctxt or entry.msgid[:20], source=entry.msgid, target=entry.msgstr, lang=lang,
                      glossary=glossary,
                      others={o: texts[key] for o, texts in reviewed.items() if key in texts},
                      drafts={o: texts[key] for o, texts in drafts.items() if key in texts})
        passed = overrides_of(entry)
        for name, chk in CHECKS.items():
            if name in disabled:
                continue
            detail = chk.run(seg)
            if detail:
                findings.append(Finding(lang, seg.id, name, chk.severity, chk.message, detail, passed.get(name)))
        for name, detail in cross_language(seg):
            if name in disabled:
                continue
            severity, message = CROSS_CHECKS[name]
            findings.append(Finding(lang, seg.id, name, severity, message, detail, passed.get(name)))
    return findings


def all_check_names() -> list[str]:
    return [*CHECKS, *CROSS_CHECKS]


def item_findings(workspace, slug: str, langs: Iterable[str] | None = None, *, off: Iterable[str] | None = None,
                  replace: Mapping[str, polib.POFile] | None = None) -> dict[str, list[Finding]]:
    """Findings per language of an item's catalogs, each checked against the others (``replace`` stands in
    for catalogs being changed, read under their lock by the caller). ``off`` defaults to the settings'."""
    from tarjama.catalog_store import read_catalog
    from tarjama.glossary import load_glossary
    from tarjama.settings import load_settings

    folder = workspace.item_dir(slug)
    catalogs = {path.stem: path for path in sorted(folder.glob("*.po"))}
    if off is None:
        off = load_settings(workspace.config_file).qa.off
    glossary = load_glossary(workspace.root)
    pos = {lang: (replace or {}).get(lang) or read_catalog(path) for lang, path in catalogs.items()}
    pos = {lang: po for lang, po in pos.items() if po is not None}
    wanted = list(langs) if langs is not None else list(pos)
    return {lang: check_catalog(pos[lang], lang, glossary=glossary, others=pos, off=off) for lang in wanted if lang in pos}
