"""Delivering a reviewer's decision to the item's run, without importing Prefect.

A decision is delivered in two steps: it is recorded in the item's review log
as a request with its own id (durable, see :mod:`tarjama.review.decisions`),
then the item's run is woken by resuming it with that id. The run takes every
pending request at its next suspension, so a wake-up that finds the run busy
(replaying, or deciding another language) loses nothing: the sender tries
again while it waits for its own request's outcome, and ``tarjama serve`` (or
``tarjama watch``) wakes runs with pending requests too. The server is asked
over plain HTTP (:mod:`operations.run_api`), so ``tarjama approve`` costs
what the decision costs, not Prefect's start-up.
"""

from __future__ import annotations

import time

from operations.run_api import RunApi
from tarjama.context import Context
from tarjama.errors import TarjamaError
from tarjama.review import events as review_log
from tarjama.review.decisions import precheck_decision, record_not_taken, record_request
from tarjama.review.report import DecisionReport
from tarjama.review.request import DecisionRequest
from tarjama.review.state import ItemReview, request_result, waiting_in_run
from tarjama.workspace import Workspace

LOG_POLL = 0.1  # seconds between looks at the review log (a local file read) while a sender waits for its outcome


def submit_decision(ctx: Context, request: DecisionRequest, wait: float = 120) -> DecisionReport:
    """Check a decision (the rules the run will apply), then send it (:func:`send_decision`)."""
    return send_decision(ctx, request, precheck_decision(ctx, request), wait)


def send_decision(ctx: Context, request: DecisionRequest, review: ItemReview, wait: float = 120) -> DecisionReport:
    """Record a decision that passed :func:`~tarjama.review.decisions.precheck_decision` (``review`` is what it
    found), wake the item's run, and return what came of this very request (or that it is still in progress after
    ``wait`` seconds)."""
    slug = request.slug
    with RunApi() as api:
        state = api.state(review.current_run) if review.current_run else None
        if state is None or not state.live:
            said = f"{state.name}: {state.message}" if state is not None else "unknown to this server"
            raise TarjamaError(f"the run reviewing {slug} is not live ({said}); start a new one with "
                               "`tarjama translate` on its item while `tarjama serve` runs")
        recorded = record_request(ctx.workspace, request)
        return deliver(api, ctx.workspace, slug, recorded.request, str(review.current_run), wait)


def deliver(api: RunApi, workspace: Workspace, slug: str, request_id: str, run_id: str, wait: float) -> DecisionReport:
    """Wake ``run_id`` until it has taken request ``request_id``, then wait for the request's own outcome."""
    deadline = time.monotonic() + wait
    while True:
        events = review_log.read(workspace, slug)
        result = request_result(events, request_id)
        if result.final or time.monotonic() > deadline:
            return DecisionReport(result.request, result)
        if result.decision is None:
            state = api.state(run_id)
            if state is not None and state.paused:
                wake(api, run_id, events, request_id)
            elif state is None or not state.live:
                why = f"the run ended ({state.name}) before taking this decision" if state else "the run is gone"
                record_not_taken(workspace, slug, result.request, run_id, why)
                continue
        time.sleep(LOG_POLL)


def wake(api: RunApi, run_id: str, events: list[review_log.Event], request_id: str) -> bool:
    """Resume a suspended run with a request's id; False when the run was not (or no longer) paused."""
    result = request_result(events, request_id)
    _, waiting = waiting_in_run(events, run_id)
    if result is None or not waiting:
        return False
    r = result.request
    language = r.lang if r.lang in waiting else waiting[0]  # a value the paused form accepts
    # not paused, or paused again with another form: False, and the next look retries
    return api.resume(run_id, {"language": language, "decision": r.decision.value, "reviewer": r.reviewer,
                               "note": r.note, "request": r.request})
