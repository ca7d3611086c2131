"""The risk of every segment of an item, from what its catalogs, QA findings and machine-draft records hold.

Pure over what the caller read (as the QA checks are): :mod:`tarjama.context` reads the catalogs, findings and
records once and calls :func:`item_risks`. The band of a segment is written into its catalog entry as an extracted
comment (``#. risk: high (negation)``, :func:`tarjama.catalog.note_risks`) when it is drafted, so reviewers working in Poedit,
Lokalize or Weblate see what the desk shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import polib

from tarjama.machine_drafts import MEMORY_PROVIDER
from tarjama.qa.risk import Band, Evidence, Risk, assess
from tarjama.qa.run import Finding


def item_risks(catalogs: Mapping[str, polib.POFile], findings: Mapping[str, list[Finding]],
               machine: Mapping[str, Mapping[str, dict]], langs: Iterable[str] | None = None, *,
               unreviewed_only: bool = False) -> dict[str, dict[str, Risk]]:
    """Each translated segment's risk (or each still fuzzy one's), per language and segment id. ``machine`` is each
    language's record of its machine drafts (:mod:`tarjama.machine_drafts`): the other engines' outputs and whether
    the memory drafted it."""
    texts = {lang: {(e.msgctxt, e.msgid): e.msgstr for e in po if not e.obsolete and e.msgstr}
             for lang, po in catalogs.items()}
    found: dict[str, dict[str, Risk]] = {}
    for lang in langs if langs is not None else catalogs:
        po = catalogs.get(lang)
        if po is None:
            continue
        by_segment: dict[str, list[Finding]] = {}
        for finding in findings.get(lang, []):
            by_segment.setdefault(finding.segment, []).append(finding)
        records = machine.get(lang, {})
        found[lang] = {}
        for entry in po:
            if entry.obsolete or not entry.msgstr or not entry.msgctxt or (unreviewed_only and not entry.fuzzy):
                continue
            key = (entry.msgctxt, entry.msgid)
            record = records.get(entry.msgid) or {}
            found[lang][entry.msgctxt] = assess(Evidence(
                id=entry.msgctxt, source=entry.msgid, target=entry.msgstr, lang=lang,
                findings=tuple(by_segment.get(entry.msgctxt, ())),
                others={other: t[key] for other, t in texts.items() if other != lang and key in t},
                alternatives=tuple((record.get("alternatives") or {}).items()),
                reviewed_memory=record.get("provider") == MEMORY_PROVIDER and record.get("text") == entry.msgstr,
            ))
    return found


def band_counts(risks: Mapping[str, Risk]) -> dict[str, int]:
    """How many segments are in each band, high first: ``{"high": 2, "medium": 5, "low": 23}``."""
    counted = Counter(risk.band for risk in risks.values())
    return {band.value: counted.get(band, 0) for band in HIGH_FIRST}


HIGH_FIRST = (Band.HIGH, Band.MEDIUM, Band.LOW)
