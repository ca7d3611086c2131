"""Everything a drafting run loads on first use, loaded ahead: for the process the warm worker forks runs from.

A forked run finds in memory what its parent loaded, and nothing else. Before this, each run still imported
translate-toolkit's checks (with their regular expressions), Babel's plural rules and locale data and the
transliteration tables on its first QA check and risk band: about 0.4 s of CPU per run on a small machine, and
a burst runs hundreds (bench_workers). :func:`warm_up` runs the QA checks and the risk bands once on a
one-segment catalog per offered language, so the caches they fill (compiled patterns, locale data, the
language model) are the parent's, shared with every child. Pure: no file, thread or connection, so the process
stays safe to fork.
"""

from __future__ import annotations

import datetime as dt

import polib

from tarjama.catalog import Draft, merge_drafts
from tarjama.languages import OFFERED_TARGETS, SOURCE_LANGUAGE
from tarjama.mt.warm import warm_up as warm_up_engines
from tarjama.publish.locale_text import language_name, long_date, text_direction
from tarjama.qa.item_risk import item_risks
from tarjama.qa.run import check_item
from tarjama.segment import Segment

SAMPLE_SOURCE = "قال الرئيس إيمانويل ماكرون في باريس يوم 3 مارس 2025 إن «25 شخصاً» أصيبوا."
SAMPLE_TARGET = 'President Emmanuel Macron said in Paris on 3 March 2025 that "25 people" were injured.'
"""A sentence with what the checks look at: a name, a place, a date, numbers and quotes."""


def _sample_catalog(lang: str) -> polib.POFile:
    """A new catalog with one machine draft, made as a run makes one (its header: Babel's plural forms)."""
    po, _ = merge_drafts(None, [Segment("p1.s1", SAMPLE_SOURCE)], {SAMPLE_SOURCE: Draft(SAMPLE_TARGET, "warm-up")},
                         lang=lang, slug="warm-up", source_path="warm-up.txt", now=dt.datetime.now(dt.UTC))
    return po


def warm_up(langs: tuple[str, ...] = OFFERED_TARGETS) -> None:
    """The engines' clients and language model, then the QA checks, the risk bands, plural forms and dates of
    every language a run may draft."""
    warm_up_engines()
    catalogs = {lang: _sample_catalog(lang) for lang in langs}
    findings = check_item(catalogs)
    item_risks(catalogs, findings, {})
    for lang in (*langs, SOURCE_LANGUAGE):  # what a publication asks Babel
        text_direction(lang), language_name(lang), long_date("2025-03-03", lang)
