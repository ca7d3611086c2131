"""``translate-article``: an Arabic item becomes reviewed, published French and English versions.

Drafts first (coarse tasks: ingest, one translation task per language running
concurrently, write catalogs), then the review gate: when the run belongs to
a deployment (``tarjama serve``) it suspends until reviewers approve each
language, publishing each one as it is approved. Run without a deployment
(Prefect's ephemeral mode) it writes the drafts and says how to start the
review loop.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import deployment, flow_run

from flows.review_gate import wait_for_reviews
from flows.tasks import ingest, translate_language, write_catalogs
from tarjama.drafts import DEFAULT_TARGETS, item_run_lock, parse_targets
from tarjama.errors import InputError
from tarjama.inbox import save_pasted_item
from tarjama.ingest import load_item
from tarjama.workspace import Workspace, find_workspace

DEFAULT_REVIEW_TIMEOUT_HOURS = 24 * 7


def _run_name() -> str:
    params = flow_run.parameters
    path = params.get("item_path")
    if not path:
        return "pasted-item"
    try:
        workspace = find_workspace(params.get("workspace"))
        return load_item(_resolve(workspace, path), workspace).slug
    except Exception:
        return Path(path).stem or "item"


def _resolve(workspace: Workspace, path: str) -> Path:
    """Paths typed in the UI form are relative to the workspace (or to content/inbox/)."""
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate
    for base in (workspace.root, workspace.inbox):
        if (base / candidate).exists():
            return base / candidate
    return workspace.root / candidate


@flow(name="translate-article", flow_run_name=_run_name, persist_result=True)
def translate_article(
    item_path: str | None = None,
    headline: str | None = None,
    body: str | None = None,
    targets: list[str] = list(DEFAULT_TARGETS),
    providers: list[str] | None = None,
    workspace: str | None = None,
    concurrency: int | None = None,
    review_timeout_hours: float = DEFAULT_REVIEW_TIMEOUT_HOURS,
) -> dict:
    """Translate an Arabic news item into draft PO catalogs, wait for review, publish approved languages.

    Give either ``item_path`` (a file under content/inbox/) or a pasted ``body`` (and ``headline``).
    """
    logger = get_run_logger()
    ws = find_workspace(workspace)
    root = str(ws.root)
    langs = list(parse_targets(targets))
    if item_path:
        path = _resolve(ws, item_path)
    elif body:
        path = save_pasted_item(ws, headline, body)
        logger.info("pasted item saved as %s", ws.relative(path))
    else:
        raise InputError("give item_path (a file under content/inbox/) or paste the item's body")
    item = ingest(str(path), root)
    with item_run_lock(ws, item.slug):
        futures = {lang: translate_language.submit(item, lang, root, providers, concurrency) for lang in langs}
        drafts = {lang: future.result() for lang, future in futures.items()}
        results = [r.as_dict() for r in write_catalogs(item, root, drafts)]
    if deployment.id is None:
        logger.info("drafts written; no deployment, so no review gate. Start the review loop with "
                    "`tarjama serve` (or `make demo`) and run `tarjama translate %s` again.", item.source_path)
        return {"slug": item.slug, "drafts": results, "approved": [], "review": "not started"}
    approved = wait_for_reviews(ws, item.slug, langs, str(flow_run.id), dt.timedelta(hours=review_timeout_hours))
    return {"slug": item.slug, "drafts": results, "approved": approved, "review": "complete"}
