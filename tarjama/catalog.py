"""PO catalogs as tarjama uses them: one per item and target language, merged without losing human work.

Entries are keyed by segment id (``msgctxt``) and source sentence (``msgid``).
Merging a new draft run into an existing catalog never destroys human work:

* a sentence whose source is unchanged keeps an entry with that source exactly
  (msgstr, flags, comments), even when its id moved; when the same sentence
  occurs more than once, reviewed entries are kept before machine drafts, and
  an entry stays at its own id where it can, so a reviewed translation is
  never demoted by a re-run;
* a corrected sentence (same id, new source) gets a fresh fuzzy draft, with the
  previous source kept as ``#| msgid`` and the previous translation in a comment;
* a removed sentence becomes obsolete (``#~``), and comes back if the sentence
  returns; an untranslated one is dropped (gettext keeps no such entry);
* an entry that is still untranslated (an earlier MT failure) is drafted again.

An unreviewed machine draft is ``fuzzy``; a translator clears fuzzy to mark it
reviewed. Reading and writing go through :mod:`tarjama.catalog_store`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import polib

from tarjama import __version__
from tarjama.languages import SOURCE_LANGUAGE
from tarjama.machine_drafts import MEMORY_PROVIDER
from tarjama.segment import Segment

FUZZY = "fuzzy"
MT_NOTE = "machine translation: "
FAILED_NOTE = "machine translation failed: "
PREVIOUS_NOTE = "previous translation: "
COPIED_NOTE = "copied from the source: nothing to translate"
MEMORY_NOTE = "translation memory: "
RISK_NOTE = "risk: "
APPROVED_BY, APPROVED_AT, APPROVED_DIGEST, REVIEW_NOTE, APPROVED_VIA, FIRST_APPROVED_BY = (
    "X-Tarjama-Approved-By", "X-Tarjama-Approved-At", "X-Tarjama-Approved-Digest", "X-Tarjama-Review-Note",
    "X-Tarjama-Approved-Via", "X-Tarjama-First-Approved-By")


@dataclass(frozen=True)
class Draft:
    """What MT produced for one source text: a translation and its provider, or a failure reason."""

    text: str | None
    provider: str | None = None
    reason: str | None = None
    alternatives: tuple[tuple[str, str], ...] = ()  # (provider, text) from engines asked for suggestions
    note: str | None = None  # where a draft not from MT came from (the translation memory's origin)
    reviewed: bool = False  # drafted as reviewed (a memory match, when the settings say so)


@dataclass(frozen=True)
class CatalogCounts:
    """Review progress of one catalog, as shown by ``tarjama status``, the desk and the flow's artifacts."""

    total: int
    reviewed: int
    drafted: int
    untranslated: int
    obsolete: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.reviewed == self.total


@dataclass
class MergeReport:
    """What a merge did, for the run's summary and artifacts."""

    drafted: list[str] = field(default_factory=list)  # new sentences given a machine draft
    corrected: list[str] = field(default_factory=list)  # corrected sentences given a fresh draft
    failed: list[tuple[str, str]] = field(default_factory=list)  # among those, the ones MT could not draft
    kept: list[str] = field(default_factory=list)
    obsoleted: list[str] = field(default_factory=list)
    changed: bool = False


@dataclass(frozen=True)
class _Match:
    segment: Segment
    entry: polib.POEntry | None  # an existing entry with the same source, reused as it is
    previous: polib.POEntry | None  # the entry this segment's id had, when its source changed


def is_reviewed(entry: polib.POEntry) -> bool:
    return bool(entry.msgstr) and FUZZY not in entry.flags


def note_risks(po: polib.POFile, summaries: Mapping[str, str]) -> bool:
    """Write each unreviewed segment's risk (``high (negation)``, by segment id) into its entry as an extracted
    comment (``#. risk: high (negation)``, replacing an older one), so PO editors show it; a reviewed entry is left
    as its reviewer saved it. True when anything changed."""
    changed = False
    for entry in po:
        summary = summaries.get(entry.msgctxt or "")
        if entry.obsolete or summary is None or is_reviewed(entry):
            continue
        lines = [line for line in (entry.comment or "").splitlines() if not line.startswith(RISK_NOTE)]
        comment = "\n".join([*lines, f"{RISK_NOTE}{summary}"])
        if comment != entry.comment:
            entry.comment, changed = comment, True
    return changed


def segments_needing_mt(po: polib.POFile | None, segments: Iterable[Segment]) -> list[Segment]:
    """Segments with no usable translation in ``po``: new, corrected, or still untranslated."""
    return [m.segment for m in _match(po, list(segments)) if m.entry is None or not m.entry.msgstr]


def new_catalog() -> polib.POFile:
    return polib.POFile(wrapwidth=79, encoding="utf-8", check_for_duplicates=False)


def merge_drafts(po: polib.POFile | None, segments: list[Segment], drafts: Mapping[str, Draft], *,
                 lang: str, slug: str, source_path: str, now: dt.datetime) -> tuple[polib.POFile, MergeReport]:
    """Merge this run's segments and drafts into ``po`` (changed in place; a new catalog when None)."""
    report = MergeReport()
    if po is None:
        po = new_catalog()
        report.changed = True
    matches = _match(po, segments)
    reused = {id(m.entry) for m in matches if m.entry is not None}
    entries: list[polib.POEntry] = []
    for m in matches:
        entry = m.entry
        if entry is not None and entry.msgstr:
            report.changed |= _place(entry, m.segment, source_path)
            report.kept.append(m.segment.id)
        else:
            draft = drafts.get(m.segment.text, Draft(None, reason="not translated in this run"))
            entry = _drafted_entry(m.segment, draft, m.previous or entry, source_path, now)
            report.changed = True
            (report.corrected if m.previous is not None else report.drafted).append(m.segment.id)
            if draft.text is None:
                report.failed.append((m.segment.id, draft.reason or "unknown"))
        entries.append(entry)
    obsolete = [e for e in po if e.obsolete and id(e) not in reused]
    for entry in po:
        if not entry.obsolete and id(entry) not in reused:
            report.obsoleted.append(entry.msgctxt or entry.msgid)
            report.changed = True
            if entry.msgstr:  # an untranslated entry has nothing worth keeping
                entry.obsolete = True
                obsolete.append(entry)
    po[:] = entries + _dedupe(obsolete)
    _set_header(po, lang=lang, slug=slug, source_path=source_path, now=now, touch=report.changed)
    return po, report


def count_entries(po: polib.POFile) -> CatalogCounts:
    active = [e for e in po if not e.obsolete]
    translated = [e for e in active if e.msgstr]
    drafted = sum(1 for e in translated if FUZZY in e.flags)
    return CatalogCounts(
        total=len(active),
        reviewed=len(translated) - drafted,
        drafted=drafted,
        untranslated=len(active) - len(translated),
        obsolete=sum(1 for e in po if e.obsolete),
    )


def approval_blockers(po: polib.POFile | None) -> list[str]:
    """Why a catalog cannot be approved: every untranslated or fuzzy entry, by segment id."""
    if po is None:
        return ["no catalog: nothing has been drafted"]
    blockers = []
    for entry in po:
        if entry.obsolete:
            continue
        seg = entry.msgctxt or entry.msgid[:20]
        if not entry.msgstr:
            blockers.append(f"{seg}: untranslated")
        elif FUZZY in entry.flags:
            blockers.append(f"{seg}: not reviewed (fuzzy)")
    if not any(not e.obsolete for e in po):
        blockers.append("the catalog has no entries")
    return blockers


def content_digest(po: polib.POFile) -> str:
    """What an approval vouches for: every active entry's id, source, translation and review state."""
    rows = [(e.msgctxt, e.msgid, e.msgstr, FUZZY in e.flags) for e in po if not e.obsolete]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()[:20]


def approval_holds(po: polib.POFile | None) -> bool:
    """The catalog carries an approval and has not changed since (a re-run that changed nothing keeps it)."""
    return bool(po is not None and po.metadata.get(APPROVED_BY) and
                po.metadata.get(APPROVED_DIGEST) == content_digest(po) and not approval_blockers(po))


def _match(po: polib.POFile | None, segments: list[Segment]) -> list[_Match]:
    """Pair each segment with an entry: one with the same source (best reviewed state first, its own id
    first), else the entry its id had (a corrected sentence), else none."""
    if po is None:
        return [_Match(s, None, None) for s in segments]
    by_source: dict[str, list[polib.POEntry]] = defaultdict(list)
    for entry in po:
        by_source[entry.msgid].append(entry)
    segments_by_source: dict[str, list[Segment]] = defaultdict(list)
    for segment in segments:
        segments_by_source[segment.text].append(segment)
    exact: dict[str, polib.POEntry] = {}
    for source, group in segments_by_source.items():
        ranked = sorted(by_source.get(source, []), key=_rank)[:len(group)]
        unplaced = [s for s in group]
        for entry in list(ranked):  # an entry stays at its own id where that id still holds this sentence
            home = next((s for s in unplaced if not entry.obsolete and s.id == entry.msgctxt), None)
            if home is not None:
                exact[home.id] = entry
                unplaced.remove(home)
                ranked.remove(entry)
        for segment, entry in zip(unplaced, ranked, strict=False):
            exact[segment.id] = entry
    taken = {id(entry) for entry in exact.values()}
    by_id = {e.msgctxt: e for e in po if not e.obsolete and e.msgctxt}
    result = []
    for segment in segments:
        entry = exact.get(segment.id)
        previous = None
        if entry is None:
            candidate = by_id.get(segment.id)
            if candidate is not None and id(candidate) not in taken:
                previous = candidate
                taken.add(id(candidate))
        result.append(_Match(segment, entry, previous))
    return result


def _rank(entry: polib.POEntry) -> tuple[int, int]:
    """Reviewed before machine drafts before untranslated; active before obsolete."""
    state = 0 if is_reviewed(entry) else 1 if entry.msgstr else 2
    return state, int(bool(entry.obsolete))


def _place(entry: polib.POEntry, segment: Segment, source_path: str) -> bool:
    """Keep a reused entry as it is, moving it to the segment's current id if that changed."""
    changed = bool(entry.obsolete) or entry.msgctxt != segment.id
    entry.obsolete = False
    entry.msgctxt = segment.id
    if not entry.occurrences:
        entry.occurrences = [(source_path, "")]
        changed = True
    return changed


def _drafted_entry(segment: Segment, draft: Draft, previous: polib.POEntry | None,
                   source_path: str, now: dt.datetime) -> polib.POEntry:
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if draft.text is None:
        notes = [f"{FAILED_NOTE}{draft.reason}"]
    elif draft.provider == "copied":
        notes = [COPIED_NOTE]
    elif draft.provider == MEMORY_PROVIDER:
        notes = [f"{MEMORY_NOTE}{draft.note}"]
    else:
        notes = [f"{MT_NOTE}{draft.provider}, {stamp}"]
    entry = polib.POEntry(
        msgctxt=segment.id,
        msgid=segment.text,
        msgstr=draft.text or "",
        occurrences=[(source_path, "")],
        flags=[FUZZY] if draft.text and not draft.reviewed else [],
    )
    if previous is not None:
        if previous.msgid != segment.text:
            entry.previous_msgid = previous.msgid
        if previous.msgstr:
            notes.append(f"{PREVIOUS_NOTE}{previous.msgstr}".replace("\n", " "))
        entry.tcomment = previous.tcomment
    entry.comment = "\n".join(notes)
    return entry


def _dedupe(entries: list[polib.POEntry]) -> list[polib.POEntry]:
    seen: set[tuple[str | None, str]] = set()
    kept = []
    for entry in entries:
        key = (entry.msgctxt, entry.msgid)
        if key not in seen:
            seen.add(key)
            kept.append(entry)
    return kept


_PLURAL_FORMS = re.compile(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*([^;]+?)\s*;?\s*$")


def kept_plural_forms(current: str | None, nplurals: int, expr: str) -> str:
    """The catalog's ``Plural-Forms`` if it is the language's rule written another way (Weblate writes
    ``plural=n > 1;`` where Babel writes ``plural=(n > 1);``), else Babel's: an editor's valid spelling is not
    rewritten on every run. Equal: the same count, and the same form for every n up to 1,000 (the rules repeat
    within hundreds) as gettext's own parser (``gettext.c2py``) evaluates them."""
    import gettext

    ours = f"nplurals={nplurals}; plural={expr};"
    found = _PLURAL_FORMS.match(current or "")
    if not found or int(found.group(1)) != nplurals:
        return ours
    try:
        theirs, rule = gettext.c2py(found.group(2)), gettext.c2py(expr)
    except (ValueError, RecursionError):
        return ours
    return current if all(theirs(n) == rule(n) for n in range(1_001)) else ours  # type: ignore[return-value]


def _set_header(po: polib.POFile, *, lang: str, slug: str, source_path: str, now: dt.datetime, touch: bool) -> None:
    from babel.messages.plurals import get_plural

    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M+0000")
    meta = po.metadata
    plural = get_plural(lang)
    wanted = {
        "Project-Id-Version": f"tarjama {slug}",
        "Report-Msgid-Bugs-To": meta.get("Report-Msgid-Bugs-To", ""),
        "POT-Creation-Date": meta.get("POT-Creation-Date") or stamp,
        "PO-Revision-Date": stamp if touch or not meta.get("PO-Revision-Date") else meta["PO-Revision-Date"],
        "Last-Translator": meta.get("Last-Translator") or "tarjama machine translation <>",
        "Language-Team": meta.get("Language-Team") or f"{lang} <>",
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": kept_plural_forms(meta.get("Plural-Forms"), plural.num_plurals, plural.plural_expr),
        # the tool that last changed the entries: an editor's (Weblate, Poedit) stays while tarjama changes nothing
        "X-Generator": meta["X-Generator"] if meta.get("X-Generator") and not touch else f"tarjama {__version__}",
        "X-Source-Language": SOURCE_LANGUAGE,
        "X-Tarjama-Slug": slug,
        "X-Tarjama-Source": source_path,
    }
    extra = {k: v for k, v in meta.items() if k not in wanted}
    po.metadata = {**wanted, **extra}
    po.header = po.header or f"tarjama drafts of {slug} ({SOURCE_LANGUAGE} -> {lang})"
