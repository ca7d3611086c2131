"""The review gate: the flow suspends (no process held) until a reviewer decides, language by language.

Each wait is a ``suspend_flow_run`` with a stable key (``review-1``,
``review-2``, ...) and a :class:`ReviewDecision` form. A resumed run replays
from the top: drafts come from the task cache, and decisions already handled
come from the review log, so every replay reaches the same point.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from pydantic import Field

from flows.tasks import artifact_key, decide_and_publish
from tarjama.catalog import count_entries, read_catalog
from tarjama.errors import TarjamaError
from tarjama.review import APPROVED, approval_blockers, find_decision, now_utc, open_review, record_timeout
from tarjama.textutil import escape_markdown
from tarjama.workspace import Workspace

GRACE_SECONDS = 120  # Prefect's own expiry comes this long after tarjama's named timeout


class ReviewDecision(RunInput):
    """The Resume form: one decision about one language."""

    language: str = Field(description="The language you decide on (one of those waiting), e.g. fr")
    decision: Literal["approve", "request_changes"] = Field(
        "approve", description="approve publishes the language; request_changes keeps it waiting with your note")
    reviewer: str = Field(min_length=1, description="Your name, recorded with the decision")
    note: str = Field("", description="Optional note, recorded with the decision")


class ReviewTimedOut(TarjamaError):
    """The review deadline passed with languages still waiting."""


def review_description(workspace: Workspace, slug: str, waiting: list[str], deadline: dt.datetime, last: str | None) -> str:
    """Markdown shown in the Resume dialog and as the run's review artifact: what is pending and why."""
    lines = [f"## Review of `{slug}`", "", f"Waiting for: **{', '.join(waiting)}** (deadline {deadline:%Y-%m-%d %H:%M} UTC)", ""]
    if last:
        lines += [f"Last decision: {escape_markdown(last)}", ""]
    lines += ["| language | reviewed | drafted (fuzzy) | untranslated | catalog |", "|---|---|---|---|---|"]
    problems = []
    for lang in waiting:
        path = workspace.catalog_path(slug, lang)
        po = read_catalog(path)
        counts = count_entries(po) if po is not None else None
        rel = workspace.relative(path)
        if counts:
            lines.append(f"| {lang} | {counts.reviewed}/{counts.total} | {counts.drafted} | {counts.untranslated} | `{rel}` |")
        blockers = approval_blockers(po)
        if blockers:
            problems.append(f"- **{lang}**: " + "; ".join(escape_markdown(b) for b in blockers[:8]) + (" ..." if len(blockers) > 8 else ""))
    lines += ["", "### Blocking problems", ""] + (problems or ["None: every waiting language can be approved."])
    lines += ["", "Translators clear `fuzzy` on each reviewed segment (Poedit, Lokalize, Weblate or the review desk); "
              "an approval is accepted only when nothing is fuzzy or untranslated."]
    return "\n".join(lines) + "\n"


def wait_for_reviews(workspace: Workspace, slug: str, langs: list[str], run_id: str, timeout: dt.timedelta) -> list[str]:
    """Suspend until every language is approved; returns the approved languages in order."""
    logger = get_run_logger()
    root = str(workspace.root)
    deadline = open_review(workspace, slug, run_id, langs, timeout)
    waiting = list(langs)
    approved: list[str] = []
    last: str | None = None
    number = 0
    while waiting:
        number += 1
        key = f"review-{number}"
        record = find_decision(workspace, slug, run_id, key)
        if record is None:
            remaining = (deadline - now_utc()).total_seconds()
            if remaining <= 0:
                record_timeout(workspace, slug, run_id, waiting)
                raise ReviewTimedOut(f"review of {slug} timed out; still waiting for: {', '.join(waiting)}")
            description = review_description(workspace, slug, waiting, deadline, last)
            create_markdown_artifact(key=artifact_key("review", slug), markdown=description,
                                     description=f"Review of {slug}: waiting for {', '.join(waiting)}")
            logger.info("%s waits for review in %s", slug, ", ".join(waiting))
            form = ReviewDecision.with_initial_data(description=description, language=waiting[0])
            answer = suspend_flow_run(wait_for_input=form, key=key, timeout=int(remaining) + GRACE_SECONDS)
            if now_utc() > deadline:
                record_timeout(workspace, slug, run_id, waiting)
                raise ReviewTimedOut(f"review of {slug} timed out; still waiting for: {', '.join(waiting)}")
            decision = (answer.language.strip(), answer.decision, answer.reviewer, answer.note)
        else:
            decision = (record.lang, record.decision, record.reviewer, record.note)
        record = decide_and_publish(root, slug, *decision, waiting=list(waiting), run_id=run_id, key=key)
        last = record.summary()
        if record.outcome == APPROVED:
            waiting.remove(record.lang)
            approved.append(record.lang)
    return approved

