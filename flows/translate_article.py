"""``translate-article``: an Arabic item becomes French and English draft catalogs.

Coarse tasks only: ingest, one translation task per language (running
concurrently), and one task that writes the catalogs. Operators see a
progress artifact per language while MT runs and a Markdown summary per
language when the catalogs are written.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from tarjama.catalog import Draft
from tarjama.drafts import DEFAULT_TARGETS, LanguageResult, item_run_lock, parse_targets, texts_to_translate, translate_texts, write_language
from tarjama.errors import TarjamaError
from tarjama.ingest import Item, load_item
from tarjama.manifest import write_manifest
from tarjama.mt.engine import MTEngine
from tarjama.mt.settings import load_settings
from tarjama.workspace import Workspace, find_workspace


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


@task(name="ingest", cache_policy=NO_CACHE)
def ingest(item_path: str, workspace_root: str) -> Item:
    return load_item(item_path, Workspace(Path(workspace_root)))


@task(name="translate-language", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_not_user_error,
      cache_policy=NO_CACHE)
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


@task(name="write-catalogs", cache_policy=NO_CACHE)
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
        lines += [f"- `{seg}`: {_md_escape(reason)}" for seg, reason in result.failed]
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+!|])", r"\\\1", text)


def _run_name() -> str:
    params = flow_run.parameters
    path = params.get("item_path", "item")
    try:
        return load_item(path, find_workspace(params.get("workspace"))).slug
    except Exception:
        return Path(path).stem or "item"


@flow(name="translate-article", flow_run_name=_run_name, log_prints=True)
def translate_article(item_path: str, targets: list[str] = list(DEFAULT_TARGETS), providers: list[str] | None = None,
                      workspace: str | None = None, concurrency: int | None = None) -> list[dict]:
    """Draft French and English PO catalogs for one Arabic item (the first half of tarjama's job)."""
    root = str(find_workspace(workspace).root)
    langs = parse_targets(targets)
    item = ingest(item_path, root)
    with item_run_lock(Workspace(Path(root)), item.slug):
        futures = {lang: translate_language.submit(item, lang, root, providers, concurrency) for lang in langs}
        drafts = {lang: future.result() for lang, future in futures.items()}
        results = write_catalogs(item, root, drafts)
    return [r.as_dict() for r in results]
