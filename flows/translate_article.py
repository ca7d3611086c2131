"""``translate-article``: an Arabic item becomes reviewed, published French and English versions.

The run reads its item, claims it (it becomes the item's current run; an older
run waiting for review is stopped), drafts (one translation task per language,
concurrently, then the catalogs are written), then, when it belongs to a
deployment (``tarjama serve``), waits at the review gate until each language
is approved, publishing each one as it is. Run without a deployment it writes
the drafts and says how to start the review loop. A mistake in the input or
the settings ends the run Failed with one line saying what to fix.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import State
from prefect.runtime import deployment, flow_run
from prefect.states import Cancelled, Failed
from prefect.utilities.annotations import quote
from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from flows.names import FLOW_NAME
from flows.review_gate import wait_for_reviews
from flows.run_logs import quiet_deliberate_failures
from flows.runs import supersede, times_rescheduled
from flows.tasks import draft_item
from tarjama.context import Context
from tarjama.drafting import RUN_LOCK_WAIT, LanguageResult, holding_item, parse_targets
from tarjama.errors import InputError, TarjamaError
from tarjama.inbox import pasted_slug, save_pasted_item
from tarjama.ingest import load_item
from tarjama.item import Item
from tarjama.mt.settings import MTSettings
from tarjama.review.decisions import unpublished
from tarjama.review.events import Superseded
from tarjama.review.same_text import refuse_same_text
from tarjama.run_request import RunRequest
from tarjama.urgency import Urgency, parse_urgency
from tarjama.workspace import Workspace, find_workspace

quiet_deliberate_failures()  # this module is what a flow-run process loads: its failures stay one line


def _run_name() -> str:
    params = flow_run.parameters
    request = params.get("request")
    request = request if isinstance(request, RunRequest) else RunRequest.of(params)
    try:
        workspace = find_workspace(params.get("workspace"))
        if not request.item_path:
            return pasted_slug(workspace, request.headline, request.body) if request.body else "pasted-item"
        return load_item(_resolve(workspace, request.item_path), workspace).slug
    except Exception:  # a name only; the run itself reports the problem
        return Path(request.item_path).stem or "item"


def _resolve(workspace: Workspace, path: str) -> Path:
    """Paths typed in the UI form are relative to the workspace (or to content/inbox/)."""
    candidate = Path(path)
    if candidate.is_absolute():
        return candidate
    for base in (workspace.root, workspace.inbox):
        if (base / candidate).exists():
            return base / candidate
    return workspace.root / candidate


_NOTHING_ASKED = RunRequest()  # the Run form's default (frozen: one value shared by every call is safe)
Decided = SkipJsonSchema
"""A parameter the deployment, the CLI or a test decides, left out of the Run form (pydantic leaves it out of the
parameter schema Prefect builds the form from)."""


@flow(name=FLOW_NAME, flow_run_name=_run_name, persist_result=True)
def translate_article(
    request: RunRequest = Field(_NOTHING_ASKED, description="The item and what to do with it",
                                json_schema_extra={"title": "Item and options"}),
    workspace: Decided[str | None] = None,
    concurrency: Decided[int | None] = None,
    review_timeout_hours: Decided[float | None] = None,
) -> RunSummary | State:
    """Translate an Arabic news item into draft PO catalogs, wait for review, publish approved languages."""
    logger = get_run_logger()
    try:
        ctx = Context.load(find_workspace(workspace))  # read once: a tarjama.toml edited meanwhile waits for the next run
        langs = list(parse_targets(request.targets))
        mt = ctx.settings.mt_settings(request.providers or None, concurrency, request.suggest_from or None,
                                      workspace_root=ctx.workspace.root)
        item = _read_item(ctx, request)
        level = parse_urgency(request.urgency or item.urgency or Urgency.NORMAL, "urgency")
        drafts = _draft(ctx, item, langs, mt, str(flow_run.id))
    except TarjamaError as error:
        return Failed(message=str(error))
    summary = RunSummary(slug=item.slug, drafts=drafts, providers=list(mt.chain))
    if deployment.id is None:
        logger.info("drafts written; no deployment, so no review gate. Start the review loop with "
                    "`tarjama serve` (or `make demo`) and run `tarjama translate %s` again.", item.source_path)
        return summary
    return _review(ctx, item.slug, langs, level, review_timeout_hours, summary)


@dataclass(frozen=True)
class RunSummary:
    """What a run did: each language's drafts and, once the review gate opened, what got approved."""

    slug: str
    drafts: list[LanguageResult]
    providers: list[str]
    review: Literal["not started", "complete"] = "not started"
    approved: list[str] = field(default_factory=list)
    already_approved: list[str] = field(default_factory=list)


def _read_item(ctx: Context, request: RunRequest) -> Item:
    """The item the run was given: a file (relative to the workspace or its inbox) or a pasted text, saved first."""
    if request.item_path:
        path = _resolve(ctx.workspace, request.item_path)
    elif request.body:
        path = save_pasted_item(ctx.workspace, request.headline, request.body, timezone=ctx.settings.timezone)
        get_run_logger().info("pasted item saved as %s", ctx.workspace.relative(path))
    else:
        raise InputError("give item_path (a file under content/inbox/) or paste the item's body")
    item = load_item(path, ctx.workspace, timezone=ctx.settings.timezone)
    refuse_same_text(ctx.workspace, item)
    return item


def _draft(ctx: Context, item: Item, langs: list[str], mt: MTSettings, run_id: str) -> list[LanguageResult]:
    """The drafting job (:mod:`tarjama.drafting`): hold the item, then one task drafts every language at once and
    writes the catalogs."""
    logger = get_run_logger()
    # a first execution (run_count 1) was never rescheduled: no need to read its states (a request per run)
    restarts = times_rescheduled(run_id) if deployment.id is not None and flow_run.run_count > 1 else 0
    if restarts > ctx.settings.workers.max_restarts:
        raise TarjamaError(f"{item.slug}: its workers stopped {restarts} times while running it (more than "
                           f"[workers] max_restarts = {ctx.settings.workers.max_restarts}); look at the workers' "
                           f"logs (memory?), then run the item again")
    chain = list(mt.chain)
    with holding_item(ctx, item, langs, run_id, chain, wait=RUN_LOCK_WAIT) as older:
        if older:
            try:
                for stopped in supersede(older, by=run_id):
                    logger.info("%s: run %s was waiting for review; this run takes its place", item.slug, stopped)
            except Exception as exc:  # the older run also stops by itself, at its gate
                logger.warning("%s: could not cancel run(s) %s (%s); they stop when woken", item.slug,
                               ", ".join(older), type(exc).__name__)
        logger.info("%s: drafting %s with %s", item.slug, ", ".join(langs), ", ".join(chain))
        return draft_item(quote(ctx), item, langs, quote(mt), chain, run_id)


def _review(ctx: Context, slug: str, langs: list[str], urgency: Urgency, timeout_hours: float | None,
            summary: RunSummary):
    """The review gate, then the run's end state: Completed with what was approved, Failed with why, or Cancelled
    when another run of the item took over. The deadline: the run's own, else the urgency's policy, else
    ``[review] timeout_hours``."""
    timeout = dt.timedelta(hours=timeout_hours) if timeout_hours else ctx.settings.review.deadline(urgency)
    try:
        gate = wait_for_reviews(ctx, slug, langs, str(flow_run.id), timeout, urgency)
    except TarjamaError as error:  # ReviewTimedOut included: its message names the languages still waiting
        return Failed(message=str(error))
    if gate.superseded_by:
        return Cancelled(message=Superseded.reason(gate.superseded_by))
    failed = unpublished(ctx.workspace, slug, gate.approved + gate.already_approved)
    if failed:
        return Failed(message="; ".join(f"{lang} approved but not published: {reason}" for lang, reason in failed)
                      + f"; fix the cause, then `tarjama publish {slug} --lang LANG`")
    return dataclasses.replace(summary, review="complete", approved=gate.approved,
                               already_approved=gate.already_approved)
