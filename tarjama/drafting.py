"""The drafting job, in the three steps every run takes: hold the item, draft each language, write.

1. :func:`holding_item`: the item's run lock, its folder and catalogs checked
   (a run never spends requests it cannot save), the run claimed as the item's
   current one;
2. :func:`draft_language`: what the catalog lacks, from the translation
   memory (``[memory]``) or machine translation;
3. :func:`write_drafts`: merged into each catalog under its lock (a
   translator's save made while MT ran is kept), MT usage recorded.

The Prefect flow runs step 1 around its tasks, which run steps 2 and 3;
:func:`draft_item` runs the same steps in one process for tests, benchmarks
and scripts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from tarjama.catalog import CatalogCounts, Draft, count_entries, merge_drafts, note_risks, segments_needing_mt
from tarjama.catalog_store import Edit, read_catalog, update_catalog
from tarjama.context import Context
from tarjama.errors import InputError
from tarjama.fsio import locked
from tarjama.item import Item
from tarjama.machine_drafts import MEMORY_PROVIDER, record_machine_drafts, record_risks
from tarjama.manifest import write_manifest
from tarjama.memory import exact
from tarjama.mt.engine import MTEngine, Progress
from tarjama.mt.sources import Source
from tarjama.qa.item_risk import band_counts
from tarjama.qa.risk import Risk
from tarjama.review.decisions import claim_item
from tarjama.segment import Segment, segment_item
from tarjama.usage_log import record_usage, usage_checkpoint
from tarjama.workspace import Workspace, check_lang

RUN_LOCK_WAIT = 600.0  # a run waits this long for another run of the same item to finish drafting


@dataclass(frozen=True)
class LanguageResult:
    """One language's outcome of a drafts run, as reported by the CLI and the flow's artifacts."""

    lang: str
    catalog: str
    segments: int
    drafted: list[str]
    corrected: list[str]
    failed: list[tuple[str, str]]
    kept: list[str]
    obsoleted: list[str]
    counts: CatalogCounts
    requests: int = 0
    chain: tuple[str, ...] = ()
    usage: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)  # per provider, this run
    risk: dict[str, int] = dataclasses.field(default_factory=dict)  # unreviewed segments per band, once all are written

    @property
    def new_drafts(self) -> int:
        """Machine drafts written by this run: new and corrected sentences, less the failures."""
        return len(self.drafted) + len(self.corrected) - len(self.failed)


def parse_targets(value: str | Sequence[str]) -> tuple[str, ...]:
    """Target languages from ``fr,en`` (or a list); each must be a locale Babel knows, never Arabic."""
    items = value.split(",") if isinstance(value, str) else list(value)
    langs = tuple(dict.fromkeys(code.strip() for code in items if code.strip()))
    if not langs:
        raise InputError("--to needs at least one target language, e.g. --to fr,en")
    for code in langs:
        check_lang(code, field="--to")
        if code.split("_")[0] == "ar":
            raise InputError("--to: items are Arabic already; choose other target languages")
    return langs


@contextmanager
def item_run_lock(workspace: Workspace, slug: str, wait: float = 0) -> Iterator[None]:
    """One drafts run per item at a time: a second one waits up to ``wait`` seconds, then is refused."""
    with locked(workspace.item_dir(slug) / ".run.lock", f"item {slug!r}", timeout=wait):
        yield


def check_writable(workspace: Workspace, item: Item, targets: Sequence[str]) -> None:
    """Refuse, before any MT request, an item whose drafts could not be saved or whose catalogs are broken.

    Writability is tried, not guessed from permission bits (root ignores them; a read-only filesystem does
    not): a temporary file is created and removed in the item's folder, or in the nearest folder that exists.
    """
    folder = workspace.item_dir(item.slug)
    target = next((p for p in (folder, workspace.translations, workspace.root) if p.is_dir()), None)
    try:
        if target is None:
            raise FileNotFoundError(2, "No such directory")
        with tempfile.NamedTemporaryFile(dir=target, prefix=".write-check.", delete=True):
            pass
    except OSError as exc:
        shown = workspace.relative(target or workspace.root)
        raise InputError(f"{shown}: cannot write there ({exc.strerror}); the drafts of {item.slug} could not be "
                         "saved: make the workspace writable, then run again") from None
    for lang in targets:
        read_catalog(workspace.catalog_path(item.slug, lang))  # a catalog gettext cannot read stops the run here


def texts_to_translate(workspace: Workspace, item: Item, lang: str) -> list[Source]:
    """Sentences of ``item`` that have no usable translation in its ``lang`` catalog, with their context."""
    po = read_catalog(workspace.catalog_path(item.slug, lang))
    return [with_context(item, segment, lang) for segment in segments_needing_mt(po, segment_item(item))]


def with_context(item: Item, segment: Segment, lang: str) -> Source:
    """A segment as engines get it: its paragraph and the headline around it (the lede for the headline)."""
    paragraphs = item.paragraphs
    if segment.id.startswith("p"):
        index = int(segment.id[1:].split(".")[0]) - 1
        paragraph = paragraphs[index] if 0 <= index < len(paragraphs) else ""
    else:
        paragraph = paragraphs[0] if paragraphs else ""
    return Source(segment.text, lang, id=segment.id, paragraph=paragraph, headline=item.headline or "")


def translate_texts(engine: MTEngine, texts: Sequence[str | Source], lang: str,
                    on_progress: Progress | None = None) -> dict[str, Draft]:
    results = engine.translate(texts, lang, on_progress)
    return {src: Draft(r.text, r.provider, None if r.ok else r.reason, r.alternatives) for src, r in results.items()}


@dataclass(frozen=True)
class LanguageDrafts:
    """Step 2's outcome for one language: a draft per source sentence, and what each provider cost."""

    drafts: dict[str, Draft]
    usage: dict[str, dict[str, int]]
    attempt: str = ""  # the engine's, so writing the drafts supersedes that attempt's usage checkpoint


@contextmanager
def holding_item(ctx: Context, item: Item, langs: Sequence[str], run_id: str, chain: Sequence[str], *,
                 wait: float = 0) -> Iterator[list[str]]:
    """Step 1, held while the run drafts: one run at a time per item (another waits ``wait`` seconds, then is
    refused), a workspace that can take the drafts, and this run made the item's current one. Yields the runs it
    takes over from (a caller with an orchestrator stops them)."""
    with item_run_lock(ctx.workspace, item.slug, wait=wait):
        check_writable(ctx.workspace, item, langs)
        yield claim_item(ctx.workspace, item.slug, run_id, item.digest, list(langs), list(chain))


def draft_language(ctx: Context, item: Item, lang: str, engine: MTEngine,
                   on_progress: Progress | None = None, run_id: str = "direct") -> LanguageDrafts:
    """Step 2: drafts for what ``lang``'s catalog lacks. Sentences the translation memory holds exactly come from
    it when ``[memory] use`` (no MT request; fuzzy unless ``exact_reviewed``; a comment names their origin); MT
    drafts the rest."""
    memory = ctx.settings.memory
    sources = texts_to_translate(ctx.workspace, item, lang)
    remembered = exact(ctx.workspace, [s.text for s in sources], lang, exclude_item=item.slug) if memory.use else {}
    drafts = {text: Draft(match.target, MEMORY_PROVIDER, note=match.origin(), reviewed=memory.exact_reviewed)
              for text, match in remembered.items()}
    rest = [s for s in sources if s.text not in remembered]
    if rest:
        engine.on_request = usage_checkpoint(ctx.workspace, run=run_id, slug=item.slug, attempt=engine.attempt,
                                             usage_of=lambda target: usage_of(engine, target))
        try:
            drafts.update(translate_texts(engine, rest, lang, on_progress))
        finally:
            engine.on_request = None
    return LanguageDrafts(drafts, usage_of(engine, lang), engine.attempt)


def usage_of(engine: MTEngine, lang: str) -> dict[str, dict[str, int]]:
    """What each provider cost in ``lang`` so far in this engine (requests, characters, tokens, failures)."""
    return {provider: usage.as_dict() for (provider, target), usage in engine.usage.items.items() if target == lang}


def write_drafts(ctx: Context, item: Item, drafted: Mapping[str, LanguageDrafts], chain: Sequence[str],
                 run_id: str) -> list[LanguageResult]:
    """Step 3: the item's manifest, then each language's drafts merged into its catalog, then every unreviewed
    segment's risk written beside it (once all languages are in: a language's translation is evidence for the
    other's)."""
    write_manifest(ctx.workspace, item, list(drafted))
    results = [write_language(ctx.workspace, item, lang, found.drafts, chain=chain, usage=found.usage, run=run_id,
                              attempt=found.attempt)
               for lang, found in drafted.items()]
    counts = mark_risks(ctx, item.slug, {lang: found.drafts for lang, found in drafted.items()})
    return [dataclasses.replace(result, risk=counts.get(result.lang, {})) for result in results]


def mark_risks(ctx: Context, slug: str, drafted: Mapping[str, Mapping[str, Draft]]) -> dict[str, dict[str, int]]:
    """Each unreviewed segment's risk into its catalog (``#. risk: ...``, under the catalog's lock: a translator
    who reviewed it meanwhile keeps their entry as saved) and into the record of this run's machine drafts; the
    unreviewed segments per band, per language."""
    risks = ctx.risks(slug, list(drafted), unreviewed_only=True)
    for lang, found in risks.items():

        def change(edit: Edit, found: dict[str, Risk] = found) -> dict[str, dict]:
            """The risks noted, by source text (what the machine drafts' record is keyed by)."""
            if edit.po is None:
                return {}
            edit.changed = note_risks(edit.po, {segment: risk.summary() for segment, risk in found.items()})
            return {e.msgid: found[e.msgctxt].as_dict() for e in edit.po if e.msgctxt in found and not e.obsolete}

        path = ctx.workspace.catalog_path(slug, lang)
        by_source = update_catalog(path, change)
        record_risks(path, {source: risk for source, risk in by_source.items() if source in drafted.get(lang, {})})
    return {lang: band_counts(found) for lang, found in risks.items()}


def write_language(workspace: Workspace, item: Item, lang: str, drafts: dict[str, Draft],
                   now: dt.datetime | None = None, chain: Sequence[str] = (),
                   usage: dict[str, dict[str, int]] | None = None, run: str = "", attempt: str = "") -> LanguageResult:
    """Merge ``drafts`` into the catalog under its lock, record what MT cost (for ``run``), report what happened."""
    now = now or dt.datetime.now(dt.UTC)
    segments: list[Segment] = segment_item(item)
    path = workspace.catalog_path(item.slug, lang)

    def change(edit: Edit):
        edit.po, report = merge_drafts(edit.po, segments, drafts, lang=lang, slug=item.slug,
                                       source_path=item.source_path, now=now)
        edit.changed = report.changed
        return report, count_entries(edit.po)

    report, counts = update_catalog(path, change)
    record_machine_drafts(path, drafts, now.isoformat(timespec="seconds"))
    usage = usage or {}
    if usage:
        record_usage(workspace, run=run or "direct", slug=item.slug, lang=lang, usage=usage, at=now, attempt=attempt)
    return LanguageResult(
        lang=lang, catalog=workspace.relative(path), segments=len(segments), drafted=report.drafted,
        corrected=report.corrected, failed=report.failed, kept=report.kept, obsoleted=report.obsoleted,
        counts=counts, requests=sum(u.get("requests", 0) for u in usage.values()), chain=tuple(chain),
        usage=usage,
    )


def draft_item(ctx: Context, item: Item, targets: Sequence[str], engine: MTEngine,
               run_id: str = "direct") -> list[LanguageResult]:
    """The whole job in this process, through the same steps as a flow run (tests, benchmarks, scripts)."""
    with holding_item(ctx, item, targets, run_id, engine.settings.chain):
        drafted = {lang: draft_language(ctx, item, lang, engine, run_id=run_id) for lang in targets}
        return write_drafts(ctx, item, drafted, engine.settings.chain, run_id)
