"""What a translator and a reviewer do in tests: clear fuzzy as a PO editor would, send decision requests."""

from __future__ import annotations

from collections.abc import Callable

import polib

from tarjama.context import Context
from tarjama.review.decisions import precheck_decision, record_request
from tarjama.review.events import Channel, DecisionRequested
from tarjama.review.request import DecisionRequest
from tarjama.review.state import ItemReview
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
