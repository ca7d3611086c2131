"""The Prefect tasks of translate-article; each wraps one step of the ``tarjama`` package.

``draft-item`` persists its result and is cached per flow run, so a run that
replays from the top after a review decision reuses its drafts: no MT request,
no rewrite. ``take-decisions`` is never cached: each pass reads the
review log, which records every outcome under its request's id, so it is safe
to run again.
"""

from __future__ import annotations

import contextvars
import re
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from flows.events import Milestone, emit_milestone
from flows.progress import LazyProgress
from flows.quotas import ensure_quota_limits, quota_slot, quotas, release_earlier_slots
from tarjama.catalog_store import read_catalog
from tarjama.context import Context
from tarjama.drafting import LanguageDrafts, LanguageResult, draft_language, texts_to_translate, write_drafts
from tarjama.errors import TarjamaError
from tarjama.item import Item
from tarjama.machine_drafts import MEMORY_PROVIDER, read_machine_drafts
from tarjama.mt.engine import MTEngine
from tarjama.mt.settings import MTSettings
from tarjama.post_edit import pairs, score
from tarjama.publish.site import html_pages
from tarjama.review.decisions import Taken, take_pending
from tarjama.review.events import Outcome, Published, PublishFailed
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


def _once_per_run(context: TaskRunContext, parameters: dict) -> str:
    """A run that replays from the top after a review decision reuses its drafts: no MT request, no rewrite."""
    item = parameters["item"]
    return f"{context.task.name}-{context.task_run.flow_run_id}-{item.slug}-{item.digest}-{'-'.join(parameters['langs'])}"


@task(name="draft-item", retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_not_user_error,
      persist_result=True, cache_key_fn=_once_per_run)
def draft_item(ctx: Context, item: Item, langs: list[str], mt: MTSettings, chain: list[str],
               run_id: str) -> list[LanguageResult]:
    """Steps 2 and 3 of :mod:`tarjama.drafting`: each language machine-translated in a thread of its own, then
    the catalogs written and each language reported in an artifact.

    One task run for the whole step, where there was one per language and one to write: Prefect's server spends on
    every task run three state events (each persisted and matched against the automations), a task-run row and
    its states, and the run a transaction and a result file; a 200-item burst took a fifth less orchestration per
    item without them (bench_workers). A retry drafts only the languages the failed attempt did not finish."""
    attempt = contextvars.copy_context()  # the run logger and the artifacts belong to this task run
    with ThreadPoolExecutor(max_workers=len(langs), thread_name_prefix="draft") as pool:
        futures = {lang: pool.submit(attempt.copy().run, _language_once, ctx, item, lang, mt, run_id)
                   for lang in langs}
        drafted = {lang: future.result() for lang, future in futures.items()}
    results = write_drafts(ctx, item, drafted, chain, run_id)
    for lang in langs:
        _finished.pop((run_id, item.digest, lang), None)
    for result in results:
        create_markdown_artifact(
            key=artifact_key("drafts", item.slug, result.lang), markdown=drafts_markdown(item, result),
            description=f"Drafts of {item.slug} in {result.lang}",
        )
    return results


_finished: dict[tuple[str, str, str], LanguageDrafts] = {}
"""The languages an attempt of ``draft-item`` finished, kept for its retry (by run, item text and language; the
run's process only): a language is not translated twice because the other one failed."""


def _language_once(ctx: Context, item: Item, lang: str, mt: MTSettings, run_id: str) -> LanguageDrafts:
    key = (run_id, item.digest, lang)
    if key not in _finished:
        _finished[key] = translate_language(ctx, item, lang, mt, run_id)
    return _finished[key]


def translate_language(ctx: Context, item: Item, lang: str, mt: MTSettings, run_id: str) -> LanguageDrafts:
    """Machine-translate what the catalog lacks (step 2 of :mod:`tarjama.drafting`); an unchanged item costs no
    request."""
    logger = get_run_logger()
    if quotas(mt, [*mt.chain, *mt.suggest_from]):
        ensure_quota_limits(mt, [*mt.chain, *mt.suggest_from])  # idempotent: the quota holds even before a deploy
        if given_back := release_earlier_slots(mt.state_dir, run_id):
            logger.info("%s -> %s: %d provider slot(s) of this run's earlier process given back", item.slug, lang,
                        given_back)
    engine = MTEngine(mt, slot=quota_slot(mt, run_id))
    texts = texts_to_translate(ctx.workspace, item, lang)
    extra = f" (alternatives from {', '.join(mt.suggest_from)})" if mt.suggest_from else ""
    logger.info("%s -> %s: %d segment(s) to translate with %s%s", item.slug, lang, len(texts), ", ".join(mt.chain),
                extra)
    if not texts:
        return LanguageDrafts({}, {})
    in_task = contextvars.copy_context()  # the engine reports from its threads: the artifact belongs to this task

    def show(progress: float) -> UUID:
        return in_task.copy().run(create_progress_artifact, progress=progress,
                                  key=artifact_key("mt-progress", item.slug, lang),
                                  description=f"Machine translation of {item.slug} into {lang}")

    def move(artifact: UUID, percent: float) -> None:
        in_task.copy().run(update_progress_artifact, artifact_id=artifact, progress=percent)

    progress = LazyProgress(show, move)

    def on_progress(done: int, total: int) -> None:
        if progress(done, total) or done == total:
            logger.info("%s -> %s: %d/%d segments", item.slug, lang, done, total)

    drafted = draft_language(ctx, item, lang, engine, on_progress=on_progress, run_id=run_id)
    remembered = sum(1 for d in drafted.drafts.values() if d.provider == MEMORY_PROVIDER)
    if remembered:
        logger.info("%s -> %s: %d segment(s) from the translation memory, no MT request", item.slug, lang, remembered)
    for provider, counts in drafted.usage.items():
        logger.info("%s -> %s: %s: %s", item.slug, lang, provider, _usage_line(counts))
    return drafted


@task(name="take-decisions", cache_policy=NO_CACHE)
def take_decisions(ctx: Context, slug: str, run_id: str) -> Taken:
    """Decide every pending request of the item against its catalog, and publish what gets approved."""
    logger = get_run_logger()
    workspace = ctx.workspace
    taken = take_pending(ctx, slug, run_id)
    for made in taken.decided:
        logger.info("%s %s: %s (request %s)", slug, made.lang, made.describe(), made.request)
    _announce(ctx, slug, run_id, taken)
    for made in taken.decided:
        if made.outcome is Outcome.APPROVED:
            _post_edit_artifact(workspace, slug, made.lang, made.request)
    for event in taken.published:
        if isinstance(event, Published):
            logger.info("%s %s: published version %d", slug, event.lang, event.version)
        elif isinstance(event, PublishFailed):
            logger.error("%s %s: publication failed: %s (fix it, then `tarjama publish %s --lang %s`)",
                         slug, event.lang, event.reason, slug, event.lang)
    for failed in taken.not_recorded:
        logger.warning("%s %s: approved, but the %s was not updated: %s%s", slug, failed.lang, failed.record,
                       failed.reason, f" ({failed.remedy})" if failed.remedy else "")
    return taken


def _announce(ctx: Context, slug: str, run_id: str, taken: Taken) -> None:
    """One event per decision and publication this pass took (a replay takes none: no duplicate)."""
    if not (taken.decided or taken.published):
        return
    settings = ctx.settings
    for made in taken.decided:
        emit_milestone(Milestone.DECIDED, settings, slug, [made.lang], f"{slug} {made.lang}: {made.describe(2)}",
                       run_id=run_id, outcome=made.outcome.value, reviewer=made.reviewer, channel=made.channel.value,
                       request=made.request)
        if made.outcome is Outcome.CHANGES_REQUESTED:  # a notice of its own: editors follow it, not every decision
            emit_milestone(Milestone.CHANGES_REQUESTED, settings, slug, [made.lang],
                           f"{slug} {made.lang}: {made.describe(2)}", run_id=run_id, reviewer=made.reviewer,
                           note=made.note)
    for event in taken.published:
        if isinstance(event, Published):
            pages = [f"{settings.site.url.rstrip('/')}/{page}" for page in html_pages(ctx.workspace, event.paths)]
            emit_milestone(Milestone.PUBLISHED, settings, slug, [event.lang],
                           " ".join([f"{slug} {event.lang}: published version {event.version}", *pages]), run_id=run_id,
                           version=str(event.version), paths=", ".join(event.paths))
        else:
            emit_milestone(Milestone.PUBLICATION_FAILED, settings, slug, [event.lang],
                           f"{slug} {event.lang}: publication failed: {event.reason}; fix it, then "
                           f"`tarjama publish {slug} --lang {event.lang}`", run_id=run_id, reason=event.reason)


def drafts_markdown(item: Item, result: LanguageResult) -> str:
    """The per-language summary operators read in the Prefect UI."""
    c = result.counts
    lines = [
        f"# {item.slug}: {result.lang} drafts",
        "",
        "| segments | drafted now | corrected | failed | kept | reviewed | awaiting review | untranslated |",
        "|---|---|---|---|---|---|---|---|",
        f"| {result.segments} | {result.new_drafts} | {len(result.corrected)} | {len(result.failed)} "
        f"| {len(result.kept)} | {c.reviewed} | {c.drafted} | {c.untranslated} |",
        "",
        f"Catalog: `{result.catalog}` (source `{item.source_path}`); providers: {', '.join(result.chain) or '-'}; "
        f"MT requests this run: {result.requests}.",
    ]
    if result.usage:
        lines += ["", "## MT usage this run", "",
                  "| provider | requests | characters | prompt tokens | completion tokens | failed requests | drafted |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {escape_markdown(name)} | {u['requests']} | {u['characters']} | {u['prompt_tokens']} "
                  f"| {u['completion_tokens']} | {u['failures']} | {u['segments']} |"
                  for name, u in sorted(result.usage.items())]
    if result.failed:
        lines += ["", "## Failed segments", ""]
        lines += [f"- `{seg}`: {escape_markdown(reason)}" for seg, reason in result.failed]
    return "\n".join(lines) + "\n"


def _usage_line(counts: dict[str, int]) -> str:
    tokens = (f", {counts['prompt_tokens']}+{counts['completion_tokens']} tokens"
              if counts.get("prompt_tokens") or counts.get("completion_tokens") else "")
    return (f"{counts['requests']} request(s), {counts['characters']} characters{tokens}, "
            f"{counts['failures']} failed, {counts['segments']} drafted")


def _post_edit_artifact(workspace: Workspace, slug: str, lang: str, request: str) -> None:
    """This approval's post-edit figures, for the run's artifacts (how much the drafts needed fixing)."""
    po = read_catalog(workspace.catalog_path(slug, lang))
    scores = score(lang, pairs(po, read_machine_drafts(workspace.catalog_path(slug, lang)))) if po else []
    lines = [f"# {slug}: {lang} post-editing", "", "| provider | segments | unchanged | chrF | TER |", "|---|---|---|---|---|"]
    lines += [f"| {escape_markdown(s.provider)} | {s.segments} | {s.unchanged:.0%} | {s.chrf} | {s.ter} |" for s in scores]
    lines += ["", "chrF 100 and TER 0: the drafts were approved as they were; lower chrF and higher TER: more editing."]
    create_markdown_artifact(key=artifact_key("post-edit", slug, lang), markdown="\n".join(lines) + "\n",
                             description=f"Post-editing of {slug} in {lang} (request {request})")
