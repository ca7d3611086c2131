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
from tarjama.qa.checks import CHECKS, CROSS_CHECKS, Severity, TranslatedSegment, cross_language

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
        seg = TranslatedSegment(id=entry.msgctxt or entry.msgid[:20], source=entry.msgid, target=entry.msgstr, lang=lang,
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


def check_item(catalogs: Mapping[str, polib.POFile], langs: Iterable[str] | None = None, *,
               glossary: Glossary | None = None, off: Iterable[str] = ()) -> dict[str, list[Finding]]:
    """Findings per language of an item's catalogs (``lang -> catalog``), each checked against the others.
    Pure: the caller reads the catalogs, the glossary and the settings once (see :mod:`tarjama.context`)."""
    wanted = list(langs) if langs is not None else list(catalogs)
    return {lang: check_catalog(catalogs[lang], lang, glossary=glossary, others=catalogs, off=off)
            for lang in wanted if lang in catalogs}
