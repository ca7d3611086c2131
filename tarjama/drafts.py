"""The drafts job in plain Python: plan, machine-translate, and merge into catalogs.

The Prefect flow calls these steps as coarse tasks; tests and benchmarks call
them directly. Planning reads the catalog to find what needs MT (an unchanged
item needs none); writing re-reads it under its lock, so a translator's save
made while MT was running is merged, not overwritten.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from tarjama.catalog import CatalogCounts, Draft, count_entries, merge_drafts, read_catalog, segments_needing_mt, update_catalog
from tarjama.errors import InputError
from tarjama.fsio import locked
from tarjama.manifest import write_manifest
from tarjama.ingest import Item
from tarjama.machine_drafts import record_machine_drafts
from tarjama.mt.engine import MTEngine, Progress
from tarjama.segment import Segment, segment_item
from tarjama.workspace import Workspace

DEFAULT_TARGETS = ("fr", "en")


@dataclass(frozen=True)
class LanguageResult:
    """One language's outcome of a drafts run, as reported by the CLI and the flow's artifacts."""

    lang: str
    catalog: str
    segments: int
    drafted: list[str]
    failed: list[tuple[str, str]]
    kept: list[str]
    corrected: list[str]
    obsoleted: list[str]
    counts: CatalogCounts
    requests: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def parse_targets(value: str | Sequence[str]) -> tuple[str, ...]:
    """Target languages from ``fr,en`` (or a list); each must be a locale Babel knows, never Arabic."""
    from babel import Locale, UnknownLocaleError

    items = value.split(",") if isinstance(value, str) else list(value)
    langs = tuple(dict.fromkeys(code.strip() for code in items if code.strip()))
    if not langs:
        raise InputError("--to needs at least one target language, e.g. --to fr,en")
    for code in langs:
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            raise InputError(f"--to: unknown language code {code!r}; use codes such as fr, en") from None
        if code.split("_")[0] == "ar":
            raise InputError("--to: items are Arabic already; choose other target languages")
    return langs


@contextmanager
def item_run_lock(workspace: Workspace, slug: str) -> Iterator[None]:
    """One drafts run per item at a time; a second one is refused, not raced."""
    with locked(workspace.item_dir(slug) / ".run.lock", f"item {slug!r}"):
        yield


def texts_to_translate(workspace: Workspace, item: Item, lang: str) -> list[str]:
    """Source texts of ``item`` that have no usable translation in its ``lang`` catalog."""
    po = read_catalog(workspace.catalog_path(item.slug, lang))
    return list(dict.fromkeys(s.text for s in segments_needing_mt(po, segment_item(item))))


def translate_texts(engine: MTEngine, texts: Sequence[str], lang: str,
                    on_progress: Progress | None = None) -> dict[str, Draft]:
    results = engine.translate(texts, lang, on_progress)
    return {src: Draft(r.text, r.provider, None if r.ok else r.reason) for src, r in results.items()}


def write_language(workspace: Workspace, item: Item, lang: str, drafts: dict[str, Draft],
                   now: dt.datetime | None = None, requests: int = 0) -> LanguageResult:
    """Merge ``drafts`` into the catalog under its lock and report what happened."""
    now = now or dt.datetime.now(dt.timezone.utc)
    segments: list[Segment] = segment_item(item)
    path = workspace.catalog_path(item.slug, lang)

    def change(po):
        merged, report = merge_drafts(po, segments, drafts, lang=lang, slug=item.slug,
                                      source_path=item.source_path, now=now)
        return merged, (merged, report), report.changed

    merged, report = update_catalog(path, change)
    record_machine_drafts(path, drafts, now.isoformat(timespec="seconds"))
    return LanguageResult(
        lang=lang, catalog=workspace.relative(path), segments=len(segments),
        drafted=report.drafted, failed=report.failed, kept=report.kept, corrected=report.corrected,
        obsoleted=report.obsoleted, counts=count_entries(merged), requests=requests,
    )


def draft_item(workspace: Workspace, item: Item, targets: Sequence[str], engine: MTEngine) -> list[LanguageResult]:
    """The whole drafts job without Prefect: used by tests and benchmarks."""
    results = []
    with item_run_lock(workspace, item.slug):
        write_manifest(workspace, item, targets)
        for lang in targets:
            before = sum(engine.requests.values())
            drafts = translate_texts(engine, texts_to_translate(workspace, item, lang), lang)
            spent = sum(engine.requests.values()) - before
            results.append(write_language(workspace, item, lang, drafts, requests=spent))
    return results
