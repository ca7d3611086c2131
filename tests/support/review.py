"""What a translator and a reviewer do in tests: clear fuzzy as a PO editor would, send decision requests, and a
review loop without Prefect for the desk's rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polib

from tarjama.context import Context
from tarjama.drafting import draft_item
from tarjama.item import Item
from tarjama.mt.engine import MTEngine
from tarjama.review import events as review_log
from tarjama.review.decisions import open_review, precheck_decision, record_request, take_pending
from tarjama.review.events import Channel, DecisionRequested
from tarjama.review.report import DecisionReport
from tarjama.review.request import DecisionRequest
from tarjama.review.state import ItemReview, request_result
from tarjama.workspace import Workspace


def clear_fuzzy(ws: Workspace, slug: str, lang: str, edit: Callable[[polib.POFile], None] | None = None) -> None:
    """Every entry reviewed (fuzzy cleared), after ``edit`` changed the catalog if given; saved as an editor saves."""
    path = ws.catalog_path(slug, lang)
    po = polib.pofile(str(path))
    for entry in po:
        entry.flags = []
    if edit:
        edit(po)
    po.save(str(path))


def ask(ws: Workspace, slug: str, lang: str, decision: str, reviewer: str, note: str = "", *,
        channel: Channel = Channel.CLI, overrides: dict[str, str] | None = None,
        request: str | None = None) -> DecisionRequested:
    """A decision request recorded straight into the review log (what the CLI and the desk send)."""
    made = DecisionRequest.make(slug, lang, decision, reviewer, note, channel=channel, overrides=overrides)
    return record_request(ws, made, request)


def precheck(ws: Workspace, slug: str, lang: str, decision: str, reviewer: str, note: str = "",
             overrides: dict[str, str] | None = None, *, channel: Channel = Channel.DESK) -> ItemReview:
    """The checks a decision passes before it is recorded, with the workspace's settings as they are now."""
    made = DecisionRequest.make(slug, lang, decision, reviewer, note, channel=channel, overrides=overrides)
    return precheck_decision(Context.load(ws), made)


@dataclass(frozen=True)
class InProcessChannel:
    """The desk's channel without Prefect: a decision is prechecked and recorded as ``tarjama approve`` records it,
    then taken by the same domain step the item's run takes at its gate (``take_pending``), for run ``run_id``."""

    run_id: str

    def decide(self, ctx: Context, request: DecisionRequest) -> DecisionReport:
        precheck_decision(ctx, request)
        recorded = record_request(ctx.workspace, request)
        take_pending(ctx, request.slug, self.run_id)
        return DecisionReport(recorded, request_result(review_log.read(ctx.workspace, request.slug), recorded.request))

    def run_states(self, run_ids: list[str]) -> dict[str, str]:
        return {run_id: "Suspended" for run_id in run_ids if run_id == self.run_id}


def in_review(ctx: Context, item: Item, langs: list[str], engine: MTEngine, run_id: str) -> None:
    """An item drafted and waiting for review in run ``run_id``, as a flow run leaves it at its gate."""
    draft_item(ctx, item, langs, engine, run_id=run_id)
    open_review(ctx.workspace, item.slug, run_id, langs, dt.timedelta(days=1))
