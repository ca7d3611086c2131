"""The coarse Prefect tasks of translate-article; each wraps one step of the ``tarjama`` package.

Results are persisted and cached per flow run, so a run that replays from the
top after a review decision reuses its drafts: no MT request, no rewrite.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact

from tarjama.catalog import Draft
from tarjama.drafts import LanguageResult, texts_to_translate, translate_texts, write_language
from tarjama.errors import TarjamaError
from tarjama.ingest import Item, load_item
from tarjama.manifest import write_manifest
from tarjama.mt.engine import MTEngine
from tarjama.mt.settings import load_settings
from tarjama.publish.site import publish_item
from tarjama.review import DecisionRecord, decide, find_decision, record_published, was_published
from tarjama.textutil import escape_markdown
from tarjama.workspace import Workspace


def _not_user_error(task, task_run, state) -> bool:
    """Retry crashes and network trouble, never a mistake in the input or the settings."""
    try:
        state.result()
    except TarjamaError:
        return False
    except Exception:
        return True
    return True


def artifact_key(*parts: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")


@task(name="ingest", persist_result=True)
def ingest(item_path: str, workspace_root: str) -> Item:
    return load_item(item_path, Workspace(Path(workspace_root)))


@task(name="translate-language", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_not_user_error,
      persist_result=True)
def translate_language(item: Item, lang: str, workspace_root: str, providers: list[str] | None,
                       concurrency: int | None) -> tuple[dict[str, Draft], int]:
    """Machine-translate what the catalog lacks; an unchanged item costs no request."""
    logger = get_run_logger()
    workspace = Workspace(Path(workspace_root))
    engine = MTEngine(load_settings(workspace.config_file, providers, concurrency))
    texts = texts_to_translate(workspace, item, lang)
    logger.info("%s -> %s: %d segment(s) to translate with %s", item.slug, lang, len(texts), ", ".join(engine.settings.chain))
    if not texts:
        return {}, 0
    artifact_id = create_progress_artifact(
        progress=0.0, key=artifact_key("mt-progress", item.slug, lang),
        description=f"Machine translation of {item.slug} into {lang}",
    )
    last_update = 0.0

    def on_progress(done: int, total: int) -> None:
        nonlocal last_update
        now = time.monotonic()
        if done == total or now - last_update > 0.5:
            last_update = now
            update_progress_artifact(artifact_id=artifact_id, progress=100.0 * done / total)
            logger.info("%s -> %s: %d/%d segments", item.slug, lang, done, total)

    drafts = translate_texts(engine, texts, lang, on_progress)
    return drafts, sum(engine.requests.values())


@task(name="write-catalogs", persist_result=True)
def write_catalogs(item: Item, workspace_root: str, drafts: dict[str, tuple[dict[str, Draft], int]]) -> list[LanguageResult]:
    """Merge each language's drafts into its catalog (atomically, under its lock) and report."""
    workspace = Workspace(Path(workspace_root))
    write_manifest(workspace, item, list(drafts))
    results = []
    for lang, (texts, requests) in drafts.items():
        result = write_language(workspace, item, lang, texts, requests=requests)
        create_markdown_artifact(
            key=artifact_key("drafts", item.slug, lang), markdown=drafts_markdown(item, result),
            description=f"Drafts of {item.slug} in {lang}",
        )
        results.append(result)
    return results


@task(name="decide-and-publish", persist_result=True)
def decide_and_publish(workspace_root: str, slug: str, lang: str, decision: str, reviewer: str, note: str,
                       waiting: list[str], run_id: str, key: str) -> DecisionRecord:
    """Apply one review decision to the catalog as it is on disk now; publish the language if approved.

    A replayed run finds the decision's recorded outcome in the review log and does not decide twice.
    """
    logger = get_run_logger()
    workspace = Workspace(Path(workspace_root))
    record = find_decision(workspace, slug, run_id, key)
    if record is None:
        record = decide(workspace, slug, lang, decision, reviewer, note, waiting=waiting, run_id=run_id, key=key)
    logger.info("%s: %s", slug, record.summary())
    if record.accepted and not was_published(workspace, slug, run_id, key):
        for result in publish_item(workspace, slug, lang):
            logger.info("published %s %s version %d in %s", slug, result.lang, result.version, result.folder)
            if result.lang == lang:
                record_published(workspace, slug, lang, result.version, run_id, key)
    return record


def drafts_markdown(item: Item, result: LanguageResult) -> str:
    """The per-language summary operators read in the Prefect UI."""
    c = result.counts
    lines = [
        f"# {item.slug}: {result.lang} drafts",
        "",
        "| segments | drafted now | failed | kept | corrected | reviewed | awaiting review | untranslated |",
        "|---|---|---|---|---|---|---|---|",
        f"| {result.segments} | {len(result.drafted) - len(result.failed)} | {len(result.failed)} | {len(result.kept)} "
        f"| {len(result.corrected)} | {c.reviewed} | {c.drafted} | {c.untranslated} |",
        "",
        f"Catalog: `{result.catalog}` (source `{item.source_path}`); MT requests this run: {result.requests}.",
    ]
    if result.failed:
        lines += ["", "## Failed segments", ""]
        lines += [f"- `{seg}`: {escape_markdown(reason)}" for seg, reason in result.failed]
    return "\n".join(lines) + "\n"
