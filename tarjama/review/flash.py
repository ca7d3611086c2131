"""The flash path: breaking news published as a labelled machine translation first, the reviewed version after.

When an item's urgency maps to a policy that publishes before review
(``[review.flash] publish = "before-review"``), each language the run waits
for is published at once from its drafts, as a version that says it is an
unreviewed machine translation, unless something already known says it must
wait for a person: a critical QA finding, a segment without a draft, an item
that needs two reviewers (four-eyes), or a section the newsroom keeps for
review first (``[review] review_first_sections``). Each language's decision and
its reasons go into the review log (``FlashDecided``) before anything is
published; a replayed run finds them there and publishes nothing twice. The
reviewed version replaces the unreviewed one through the usual approval, as
the item's next version.
"""

from __future__ import annotations

from dataclasses import dataclass

from tarjama.catalog_store import read_catalog
from tarjama.context import Context
from tarjama.fsio import locked
from tarjama.manifest import read_manifest
from tarjama.review import events as review_log
from tarjama.review.decisions import DECISIONS_LOCK_TIMEOUT, decisions_lock, needs_four_eyes, publish_language
from tarjama.review.events import FlashDecided, Published, PublishFailed
from tarjama.review.state import waiting_in_run
from tarjama.urgency import Urgency

SHOWN_SEGMENTS = 5


@dataclass(frozen=True)
class FlashOutcome:
    """One language on the flash path: the decision recorded, and its publication when it was published."""

    decided: FlashDecided
    publication: Published | PublishFailed | None = None


def publishes_before_review(ctx: Context, urgency: Urgency) -> bool:
    return ctx.settings.review.for_urgency(urgency).publish == "before-review"


def held_back(ctx: Context, slug: str, lang: str) -> list[str]:
    """Why ``lang`` of the item must not be published before a person reviewed it; empty when it may."""
    reasons = []
    if needs_four_eyes(ctx, slug):
        reasons.append("the item needs two reviewers (four-eyes): it is published only once both approve it")
    section = (read_manifest(ctx.workspace, slug) or {}).get("section")
    if section and section in ctx.settings.review.review_first_sections:
        reasons.append(f"section {section!r} is published only after review ([review] review_first_sections)")
    po = read_catalog(ctx.workspace.catalog_path(slug, lang))
    if po is None:
        return [*reasons, "no catalog: nothing was drafted"]
    missing = [e.msgctxt or e.msgid[:20] for e in po if not e.obsolete and not e.msgstr]
    if missing:
        shown = ", ".join(missing[:SHOWN_SEGMENTS]) + (" ..." if len(missing) > SHOWN_SEGMENTS else "")
        reasons.append(f"{len(missing)} segment(s) have no machine draft ({shown}): a person must translate them")
    critical = [f for f in ctx.findings(slug, [lang]).get(lang, []) if f.blocks]
    reasons += [f"{f.key}: {f.message.rstrip('.')} ({f.detail}): critical QA finding" for f in critical]
    return reasons


def publish_before_review(ctx: Context, slug: str, run_id: str, urgency: Urgency) -> list[FlashOutcome]:
    """Decide, for each language the run waits for, whether its machine draft goes out now, record why, and
    publish the ones that may; the outcomes of this call (none on a replay that finds them all recorded)."""
    if not publishes_before_review(ctx, urgency):
        return []
    workspace = ctx.workspace
    outcomes = []
    with locked(decisions_lock(workspace, slug), f"decisions of {slug!r}", timeout=DECISIONS_LOCK_TIMEOUT):
        events = review_log.read(workspace, slug)
        _, waiting = waiting_in_run(events, run_id)  # under the lock: an approval taken meanwhile is never demoted
        decided = {e.lang: e for e in events if isinstance(e, FlashDecided) and e.run_id == run_id}
        published = {e.lang for e in events if isinstance(e, (Published, PublishFailed)) and e.run_id == run_id
                     and not e.reviewed}
        for lang in waiting:
            decision = decided.get(lang)
            if decision is None:
                reasons = held_back(ctx, slug, lang)
                decision = FlashDecided(run_id=run_id, lang=lang, urgency=urgency.value, publish=not reasons,
                                        reasons=reasons)
                review_log.append(workspace, slug, decision)
            elif not decision.publish or lang in published:
                continue  # decided (and published) before this replay
            publication = publish_language(ctx, slug, lang, run_id=run_id, reviewed=False) if decision.publish else None
            outcomes.append(FlashOutcome(decision, publication))
    return outcomes
