"""The review gate: the flow suspends (no process held) until every waiting language is approved.

Each pass takes every pending decision request of the item (``take-decisions``:
decided against the catalog, approvals published), then suspends with a
stable key (``review-1``, ``review-2``, ...) and the Resume form. Whatever
wakes it (a reviewer's request delivered by the CLI or the desk, a decision
typed into the Prefect UI, ``tarjama serve`` noticing an undelivered request)
leads to the next pass. A resumed run replays from the top: drafts come from
the task cache, outcomes from the review log, so every replay reaches the
same point. A run that is no longer its item's current run stops waiting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.flow_runs import suspend_flow_run
from pydantic import ValidationError

from flows.events import Milestone, emit_milestone
from flows.flash import publish_unreviewed
from flows.forms import decision_form
from flows.tasks import artifact_key, take_decisions
from tarjama.catalog import approval_blockers, count_entries
from tarjama.catalog_store import read_catalog
from tarjama.context import Context
from tarjama.errors import CatalogError, InputError, TarjamaError
from tarjama.qa.item_risk import band_counts
from tarjama.review import events as review_log
from tarjama.review.decisions import (
    decisions_due,
    is_current_run,
    open_review,
    publish_if_missing,
    record_request,
    record_timeout,
)
from tarjama.review.events import Channel, now_utc
from tarjama.review.flash import publishes_before_review
from tarjama.review.request import DecisionRequest
from tarjama.review.state import fold, request_result, waiting_in_run
from tarjama.review.state import opened as opened_before
from tarjama.textutil import escape_markdown
from tarjama.urgency import Urgency

GRACE_SECONDS = 120  # Prefect's own expiry comes this long after tarjama's named timeout


class ReviewTimedOut(TarjamaError):
    """The review deadline passed with languages still waiting."""


@dataclass(frozen=True)
class GateResult:
    approved: list[str]
    already_approved: list[str]
    superseded_by: str | None = None


def qa_markdown(ctx: Context, slug: str, langs: list[str]) -> list[str]:
    """The QA findings of the waiting languages: critical ones block approval unless overridden."""
    try:
        found = ctx.findings(slug, langs)
    except TarjamaError as error:
        return ["", "### QA checks", "", f"Not run: {escape_markdown(str(error))}"]
    rows = [f for lang in langs for f in found.get(lang, [])]
    lines = ["", "### QA checks", ""]
    if not rows:
        return [*lines, "No finding."]
    lines += ["| language | segment | check | severity | finding |", "|---|---|---|---|---|"]
    for f in rows[:30]:
        state = f"overridden: {escape_markdown(f.overridden)}" if f.overridden else f.severity.value
        lines.append(f"| {f.lang} | {escape_markdown(f.segment)} | {f.check} | {state} | "
                     f"{escape_markdown(f.message)} {escape_markdown(f.detail)} |")
    if len(rows) > 30:
        lines.append(f"\n... and {len(rows) - 30} more: `tarjama check {slug}`")
    blocking = sum(f.blocks for f in rows)
    if blocking:
        lines += ["", f"{blocking} critical finding(s) block approval: fix them, or approve with an override and its "
                  f"reason (`tarjama approve {slug} --lang LANG --override SEGMENT:CHECK=REASON`, or the review desk)."]
    return lines


def review_description(ctx: Context, slug: str, waiting: list[str], deadline: dt.datetime) -> str:
    """Markdown shown in the Resume dialog and as the run's review artifact: what is pending and why."""
    workspace = ctx.workspace
    lines = [f"## Review of `{slug}`", "", f"Waiting for: **{', '.join(waiting)}** (deadline {deadline:%Y-%m-%d %H:%M} UTC)",
             ""]
    last = [e for e in review_log.read(workspace, slug) if isinstance(e, review_log.DecisionMade)][-3:]
    if last:
        lines += ["Last decisions:", ""] + [f"- {escape_markdown(e.lang)}: {escape_markdown(e.describe())}"
                                            for e in last] + [""]
    lines += ["| language | reviewed | drafted (fuzzy) | to review: high / medium / low risk | untranslated | catalog |",
              "|---|---|---|---|---|---|"]
    problems = []
    try:
        risks = ctx.risks(slug, waiting, unreviewed_only=True)
    except TarjamaError:
        risks = {}
    for lang in waiting:
        path = workspace.catalog_path(slug, lang)
        try:
            po = read_catalog(path)
        except CatalogError as error:
            problems.append(f"- **{lang}**: {escape_markdown(str(error))}")
            continue
        rel = workspace.relative(path)
        if po is not None:
            c = count_entries(po)
            bands = band_counts(risks.get(lang, {}))
            lines.append(f"| {lang} | {c.reviewed}/{c.total} | {c.drafted} | {bands['high']} / {bands['medium']} / "
                         f"{bands['low']} | {c.untranslated} | `{rel}` |")
        blockers = approval_blockers(po)
        if blockers:
            problems.append(f"- **{lang}**: " + "; ".join(escape_markdown(b) for b in blockers[:8])
                            + (" ..." if len(blockers) > 8 else ""))
    lines += ["", "### Blocking problems", ""] + (problems or ["None: every waiting language can be approved."])
    lines += qa_markdown(ctx, slug, waiting)
    lines += ["", "Translators clear `fuzzy` on each reviewed segment (Poedit, Lokalize, Weblate or the review desk); "
              "an approval is accepted only when nothing is fuzzy or untranslated. A name typed here is recorded as "
              "given; the review desk logs reviewers in."]
    return "\n".join(lines) + "\n"


def announce_waiting(ctx: Context, slug: str, langs: list[str], run_id: str, deadline: dt.datetime) -> None:
    """The ``tarjama.review.waiting`` event, once per run (notifications, the Event Feed)."""
    emit_milestone(Milestone.WAITING, ctx.settings, slug, langs,
                   f"{slug} waits for review in {', '.join(langs)} (deadline {deadline:%Y-%m-%d %H:%M} UTC)",
                   run_id=run_id, deadline=deadline.isoformat())


def wait_for_reviews(ctx: Context, slug: str, langs: list[str], run_id: str,
                     timeout: dt.timedelta, urgency: Urgency = Urgency.NORMAL) -> GateResult:
    """Suspend until every waiting language is approved (or the run is superseded, or the review times out). An
    item whose urgency's policy publishes before review has its drafts published first (the flash path)."""
    logger = get_run_logger()
    workspace = ctx.workspace
    first_pass = opened_before(review_log.read(workspace, slug), run_id) is None  # a replay opened it already
    opened = open_review(workspace, slug, run_id, langs, timeout, urgency=urgency,
                         remind_before=ctx.settings.review.for_urgency(urgency).remind_before_minutes)
    if first_pass and opened.langs:
        announce_waiting(ctx, slug, list(opened.langs), run_id, opened.deadline)
    if opened.langs and publishes_before_review(ctx, urgency):
        publish_unreviewed(ctx, slug, run_id, urgency)
    for lang in opened.already_approved:
        logger.info("%s %s: approved before and unchanged since: no new decision needed", slug, lang)
        publish_if_missing(ctx, slug, lang, run_id)
    number = 0
    while True:
        if not is_current_run(workspace, slug, run_id):
            return GateResult([], opened.already_approved, superseded_by=fold(review_log.read(workspace, slug)).current_run)
        if decisions_due(workspace, slug, run_id):  # a task run costs the server a dozen writes: only with work
            take_decisions(ctx, slug, run_id)
        deadline, waiting = waiting_in_run(review_log.read(workspace, slug), run_id)
        if not waiting:
            return GateResult(list(opened.langs), opened.already_approved)
        if now_utc() > deadline:
            record_timeout(workspace, slug, run_id, waiting)
            raise ReviewTimedOut(f"review of {slug} timed out; still waiting for: {', '.join(waiting)}")
        number += 1
        key = f"review-{number}"
        description = review_description(ctx, slug, waiting, deadline)
        create_markdown_artifact(key=artifact_key("review", slug), markdown=description,
                                 description=f"Review of {slug}: waiting for {', '.join(waiting)}")
        logger.info("%s waits for review in %s", slug, ", ".join(waiting))
        remaining = max(1, int((deadline - now_utc()).total_seconds()))
        try:
            answer = suspend_flow_run(wait_for_input=decision_form(waiting, description), key=key,
                                      timeout=remaining + GRACE_SECONDS)
        except ValidationError:
            # woken with no decision: the restart automation rescheduled this run while it waited (a late heartbeat
            # after its suspension), or a resume without input. Nothing was decided: wait again, under the next key
            # (replays take the same path, so the keys stay stable).
            logger.info("%s: woken without a decision; waiting again for review", slug)
            continue
        if not answer.request:  # typed into the Prefect UI: record it as a request (stable id for replays)
            request_id = f"{run_id[:8]}-{key}"
            if request_result(review_log.read(workspace, slug), request_id) is None:
                try:
                    typed = DecisionRequest.make(slug, answer.language, answer.decision, answer.reviewer, answer.note,
                                                 channel=Channel.PREFECT_UI)
                except InputError as mistake:  # the form's own limits passed; nothing is recorded: wait again
                    logger.warning("%s: decision typed in the Prefect UI not recorded: %s", slug, mistake)
                    continue
                record_request(workspace, typed, request_id)
