"""The flash path's task: publish the machine drafts of breaking news before review, where the policy allows.

A wrapper around :func:`tarjama.review.flash.publish_before_review` that tells
people what happened: an event per language (``tarjama.review.flash-published``
asks the reviewers to review now; ``tarjama.review.flash-held`` says why a
language waits for a person), a log line, and the run's ``flash-<slug>``
artifact listing each language's decision and its reasons.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.events import Milestone, emit_milestone
from flows.tasks import artifact_key
from tarjama.context import Context
from tarjama.publish.site import html_pages
from tarjama.review.events import Published
from tarjama.review.flash import FlashOutcome, publish_before_review
from tarjama.textutil import escape_markdown
from tarjama.urgency import Urgency


@task(name="publish-unreviewed", cache_policy=NO_CACHE)
def publish_unreviewed(ctx: Context, slug: str, run_id: str, urgency: Urgency) -> list[FlashOutcome]:
    """Publish each waiting language's machine draft now, labelled unreviewed, unless something holds it back; a
    replay finds the decisions in the review log and does nothing again."""
    logger = get_run_logger()
    outcomes = publish_before_review(ctx, slug, run_id, urgency)
    for outcome in outcomes:
        lang, publication = outcome.decided.lang, outcome.publication
        if isinstance(publication, Published):
            pages = [f"{ctx.settings.site.url.rstrip('/')}/{page}" for page in html_pages(ctx.workspace, publication.paths)]
            logger.info("%s %s: %s item published before review as version %d (labelled unreviewed)", slug, lang,
                        urgency.value, publication.version)
            emit_milestone(Milestone.FLASH_PUBLISHED, ctx.settings, slug, [lang],
                           " ".join([f"{slug} {lang}: {urgency.value}: machine translation published unreviewed as "
                                     f"version {publication.version}; review it now", *pages]),
                           run_id=run_id, version=str(publication.version), urgency=urgency.value)
        else:
            reasons = outcome.decided.reasons or [f"publication failed: {publication.reason}" if publication else "?"]
            logger.warning("%s %s: not published before review: %s", slug, lang, "; ".join(reasons))
            emit_milestone(Milestone.FLASH_HELD, ctx.settings, slug, [lang],
                           f"{slug} {lang}: {urgency.value} item kept for review first: {'; '.join(reasons)}",
                           run_id=run_id, urgency=urgency.value, reasons="; ".join(reasons))
    if outcomes:
        create_markdown_artifact(key=artifact_key("flash", slug), markdown=flash_markdown(slug, urgency, outcomes),
                                 description=f"Flash path of {slug}: published before review, or why not")
    return outcomes


def flash_markdown(slug: str, urgency: Urgency, outcomes: list[FlashOutcome]) -> str:
    lines = [f"## Flash path of `{slug}` ({urgency.value})", "", "| language | published before review | why not |",
             "|---|---|---|"]
    for outcome in outcomes:
        publication = outcome.publication
        done = f"yes, version {publication.version}" if isinstance(publication, Published) else "no"
        why = "; ".join(outcome.decided.reasons) or (f"publication failed: {publication.reason}"
                                                     if publication is not None and not isinstance(publication, Published)
                                                     else "")
        lines.append(f"| {outcome.decided.lang} | {done} | {escape_markdown(why) or '-'} |")
    lines += ["", "A version published before review says so on its page, in its ninjs, Hugo front matter and feed "
              "entry; the reviewed version replaces it as the next version once a reviewer approves."]
    return "\n".join(lines) + "\n"
