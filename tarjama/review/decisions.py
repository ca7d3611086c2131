"""Review decisions as durable requests, and what the item's run does with them.

A reviewer's decision (desk, CLI or the Prefect UI's Resume form) is first
recorded in the review log as a request with its own id; only then is the run
woken. The run, at each of its suspensions, takes every pending request of
its item in the order they were made, checks each against the catalog as it
is on disk then, records the outcome under the request's id and, for an
approval, publishes the language and records that too (or why it failed).
Whoever sent a request reads its own outcome by id: nothing is lost when two
reviewers decide at once, and no one is told another reviewer's outcome.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polib

from tarjama.catalog import (
    APPROVED_AT,
    APPROVED_BY,
    APPROVED_DIGEST,
    APPROVED_VIA,
    FIRST_APPROVED_BY,
    REVIEW_NOTE,
    approval_blockers,
    approval_holds,
    content_digest,
)
from tarjama.catalog_store import Edit, read_catalog, update_catalog
from tarjama.context import Context
from tarjama.errors import InputError, TarjamaError
from tarjama.fsio import locked
from tarjama.ingest import FOUR_EYES
from tarjama.manifest import read_manifest
from tarjama.memory import remember
from tarjama.post_edit import record_approval
from tarjama.publish import site
from tarjama.qa.run import Finding, add_override
from tarjama.review import events as review_log
from tarjama.review.events import (
    Channel,
    Decision,
    DecisionMade,
    DecisionRequested,
    Outcome,
    Published,
    PublishFailed,
    RecordFailed,
    RunStarted,
    Superseded,
    TimedOut,
    Waiting,
    new_request_id,
    now_utc,
)
from tarjama.review.request import DecisionRequest
from tarjama.review.state import ItemReview, ReviewState, fold, opened, waiting_in_run
from tarjama.settings import Settings
from tarjama.urgency import Urgency
from tarjama.workspace import Workspace

DECISIONS_LOCK_TIMEOUT = 120  # seconds: a pass over an item's decisions publishes, which takes a moment


def decisions_lock(workspace: Workspace, slug: str) -> Path:
    """The lock that serialises everything that decides or publishes an item's languages in a run."""
    return workspace.item_dir(slug) / ".decisions.lock"


class ApprovalRefused(TarjamaError):
    """An approval the catalog does not allow yet; ``blockers`` lists why."""

    def __init__(self, message: str, blockers: list[str]) -> None:
        super().__init__(message)
        self.blockers = blockers


class NotWaiting(TarjamaError):
    """The language has no decision pending: nothing waits for one (already approved, or no live run)."""


def shown_blockers(blockers: list[str], limit: int = 6) -> str:
    more = f"; and {len(blockers) - limit} more" if len(blockers) > limit else ""
    return "; ".join(blockers[:limit]) + more


def channel_refusal(settings: Settings, decision: Decision, channel: Channel) -> str | None:
    """Why an approval from ``channel`` is not accepted here (``review.require_authenticated``), or None."""
    if decision is not Decision.APPROVE or channel.authenticated or not settings.review.require_authenticated:
        return None
    return (f"this newsroom accepts approvals only from reviewers logged in to the review desk "
            f"(review.require_authenticated); an approval through {channel.value} names its reviewer without "
            "verifying them: approve in the desk, or request changes here")


def precheck_decision(ctx: Context, request: DecisionRequest) -> ItemReview:
    """What a decision must pass before it is recorded: the rules the run applies, and that the language waits
    for one in a run. Checked once, where the request is sent (``delivery.submit_decision``, the desk)."""
    workspace, slug, lang = ctx.workspace, request.slug, request.lang
    refused = channel_refusal(ctx.settings, request.decision, request.channel)
    if refused:
        raise ApprovalRefused(f"cannot approve {slug} {lang}: {refused}", [refused])
    path = workspace.catalog_path(slug, lang)
    if not path.exists():
        raise InputError(f"no catalog {workspace.relative(path)}: is {slug!r} translated into {lang}? see `tarjama status`")
    review = fold(review_log.read(workspace, slug))
    state = review.langs.get(lang)
    if lang not in review.waiting_langs():
        if state is not None and not state.state.awaits_decision:
            raise NotWaiting(f"{slug} {lang} is not waiting for a decision: {state.describe(slug)}")
        raise NotWaiting(f"no run is waiting for review of {slug} {lang}; run `tarjama translate` on its item "
                         "while `tarjama serve` runs")
    if request.decision is Decision.APPROVE:
        blockers = approval_blockers(read_catalog(path)) or qa_blockers(ctx, slug, lang, request.overrides)
        first = first_approval(review_log.read(workspace, slug), review.current_run or "", lang)
        if not blockers and first is not None and _same_person(first.reviewer, request.reviewer):
            blockers = [_second_reviewer_wanted(first.reviewer)]
        if blockers:
            raise ApprovalRefused(f"cannot approve {slug} {lang}: {shown_blockers(blockers)}", blockers)
    return review


def _same_person(one: str, other: str) -> bool:
    return one.strip().casefold() == other.strip().casefold()


def _second_reviewer_wanted(first: str) -> str:
    return f"this item needs two different reviewers (four-eyes): {first} approved first; another reviewer must approve"


def qa_blockers(ctx: Context, slug: str, lang: str, overrides: Mapping[str, str]) -> list[str]:
    """The critical QA findings of ``lang`` that no override (recorded, or given now) lets pass."""
    findings = ctx.findings(slug, [lang]).get(lang, [])
    return _blocker_lines([f for f in findings if f.blocks and f.key not in overrides])


def _blocker_lines(findings: list[Finding]) -> list[str]:
    return [f"{f.key}: {f.message.rstrip('.')} ({f.detail}); fix it, or approve with an override and its reason"
            for f in findings]


def record_request(workspace: Workspace, request: DecisionRequest, request_id: str | None = None) -> DecisionRequested:
    """Record a decision request (durably, before anything is woken) and return it with its id."""
    event = DecisionRequested(request=request_id or new_request_id(), lang=request.lang, decision=request.decision,
                              reviewer=request.reviewer, note=request.note, channel=request.channel,
                              overrides=dict(request.overrides))
    review_log.append(workspace, request.slug, event)
    return event


def record_not_taken(workspace: Workspace, slug: str, request: DecisionRequested, run_id: str, why: str) -> DecisionMade:
    """A request its run will never take (the run ended first): recorded as ignored, with why, so its sender is
    answered and nothing waits for it."""
    made = _outcome(request, run_id, Outcome.IGNORED, [why])
    review_log.append(workspace, slug, made)
    return made


def _outcome(request: DecisionRequested, run_id: str, outcome: Outcome, blockers: list[str],
             overrides: Mapping[str, str] | None = None, digest: str | None = None) -> DecisionMade:
    """What ``run_id`` made of ``request``: the request's own fields, with the outcome and why."""
    return DecisionMade(request=request.request, run_id=run_id, lang=request.lang, decision=request.decision,
                        reviewer=request.reviewer, note=request.note, channel=request.channel, outcome=outcome,
                        blockers=blockers, overrides=dict(overrides or {}), digest=digest)



def needs_four_eyes(ctx: Context, slug: str) -> bool:
    """Whether two different reviewers must approve the item: its front matter says ``review: four-eyes``, or its
    section is one of ``[review] four_eyes_sections``."""
    manifest = read_manifest(ctx.workspace, slug) or {}
    return manifest.get("review") == FOUR_EYES or (
        bool(manifest.get("section")) and manifest.get("section") in ctx.settings.review.four_eyes_sections)


def first_approval(events: list[review_log.Event], run_id: str, lang: str) -> DecisionMade | None:
    """The standing first approval of ``lang`` in the run (four-eyes); a request for changes after it voids it."""
    found = None
    for e in events:
        if isinstance(e, DecisionMade) and e.run_id == run_id and e.lang == lang:
            if e.outcome is Outcome.FIRST_APPROVAL:
                found = e
            elif e.outcome in (Outcome.CHANGES_REQUESTED, Outcome.APPROVED):
                found = None
    return found


def claim_item(workspace: Workspace, slug: str, run_id: str, source_digest: str, targets: list[str],
               providers: list[str]) -> list[str]:
    """Make ``run_id`` the item's current run; returns the runs it takes over from (to stop them)."""
    events = review_log.read(workspace, slug)
    if any(isinstance(e, RunStarted) and e.run_id == run_id for e in events):
        return []  # a replay of the same run
    review = fold(events)
    older = [review.current_run] if review.current_run and review.current_run not in review.superseded else []
    review_log.append(workspace, slug, RunStarted(run_id=run_id, source_digest=source_digest, targets=targets,
                                                  providers=providers),
                      *(Superseded(run_id=old, by=run_id) for old in older))
    return older


def is_current_run(workspace: Workspace, slug: str, run_id: str) -> bool:
    return fold(review_log.read(workspace, slug)).current_run == run_id


def open_review(workspace: Workspace, slug: str, run_id: str, langs: list[str], timeout: dt.timedelta,
                now: dt.datetime | None = None, *, urgency: Urgency = Urgency.NORMAL,
                remind_before: float | None = None) -> Waiting:
    """Open the run's review gate once (replays get the same deadline). A language whose catalog is
    approved and unchanged since needs no new decision: it is listed as already approved. The item's
    ``urgency`` and its policy's reminder (minutes before the deadline) are recorded with it."""
    found = opened(review_log.read(workspace, slug), run_id)
    if found is not None:
        return found
    already = [lang for lang in langs if approval_holds(read_catalog(workspace.catalog_path(slug, lang)))]
    now = now or now_utc()
    waiting = Waiting(run_id=run_id, langs=[lang for lang in langs if lang not in already], already_approved=already,
                      at=now, deadline=now + timeout, urgency=urgency.value, remind_before_minutes=remind_before)
    review_log.append(workspace, slug, waiting)
    return waiting


def record_timeout(workspace: Workspace, slug: str, run_id: str, langs: list[str]) -> None:
    review_log.append(workspace, slug, TimedOut(run_id=run_id, langs=langs))


@dataclass(frozen=True)
class Taken:
    """What one pass over the pending requests did."""

    decided: list[DecisionMade]
    published: list[Published | PublishFailed]
    waiting: list[str]
    not_recorded: list[RecordFailed] = field(default_factory=list)


def decisions_due(workspace: Workspace, slug: str, run_id: str) -> bool:
    """Whether :func:`take_pending` has anything to do for this run: a request not decided yet, or an approval of
    this run not published yet. Read without the lock: a request recorded just after is woken into the run's
    next pass (its command waits for the run to be suspended), as one recorded after ``take_pending`` is."""
    events = review_log.read(workspace, slug)
    review = fold(events)
    return review.current_run == run_id and bool(review.pending or _approved_unpublished(events, run_id))


def take_pending(ctx: Context, slug: str, run_id: str) -> Taken:
    """The run's side: decide every pending request of the item, in order, and publish what gets approved.

    Idempotent (a replayed run finds its outcomes in the log) and serialised per item. Only the item's
    current run takes requests: a superseded one leaves them to the run that replaced it.
    """
    workspace = ctx.workspace
    with locked(decisions_lock(workspace, slug), f"decisions of {slug!r}", timeout=DECISIONS_LOCK_TIMEOUT):
        events = review_log.read(workspace, slug)
        review = fold(events)
        _, waiting = waiting_in_run(events, run_id)
        if review.current_run != run_id:
            return Taken([], [], waiting)
        decided, published, not_recorded = [], [], []
        for request in review.pending:
            made = _decide(ctx, slug, request, run_id, waiting)
            review_log.append(workspace, slug, made)
            decided.append(made)
            if made.outcome is Outcome.APPROVED:
                waiting.remove(made.lang)
                not_recorded += _remember(workspace, slug, made.lang, made.request)
                published.append(publish_language(ctx, slug, made.lang, request=made.request, run_id=run_id))
        for made in _approved_unpublished(review_log.read(workspace, slug), run_id):  # a crash between the two
            published.append(publish_language(ctx, slug, made.lang, request=made.request, run_id=run_id))
        return Taken(decided, published, waiting, not_recorded)


def _decide(ctx: Context, slug: str, request: DecisionRequested, run_id: str,
            waiting: list[str]) -> DecisionMade:
    blockers: list[str] = []
    if request.lang not in waiting:
        outcome = Outcome.IGNORED
        blockers = [f"{request.lang} is not waiting for a decision in this run "
                    f"(waiting: {', '.join(waiting) or 'none'})"]
    elif request.decision is Decision.REQUEST_CHANGES:
        outcome = Outcome.CHANGES_REQUESTED
    elif refused := channel_refusal(ctx.settings, request.decision, request.channel):
        outcome, blockers = Outcome.REFUSED, [refused]
    elif needs_four_eyes(ctx, slug):
        return _decide_four_eyes(ctx, slug, request, run_id)
    else:
        path = ctx.workspace.catalog_path(slug, request.lang)
        blockers = stamp_approval(path, request.reviewer, request.note, channel=request.channel,
                                  qa=(ctx, slug, request.lang), overrides=request.overrides)
        outcome = Outcome.REFUSED if blockers else Outcome.APPROVED
    return _outcome(request, run_id, outcome, blockers, request.overrides if outcome is Outcome.APPROVED else None)


def _decide_four_eyes(ctx: Context, slug: str, request: DecisionRequested, run_id: str) -> DecisionMade:
    """An approval of an item that needs two reviewers: the first one is recorded with the catalog's content as
    approved (the language keeps waiting); a second one from a different reviewer, on the same content, approves
    and publishes with both names. Content changed between the two: this approval becomes the new first one."""
    path = ctx.workspace.catalog_path(slug, request.lang)
    first = first_approval(review_log.read(ctx.workspace, slug), run_id, request.lang)
    if first is not None and _same_person(first.reviewer, request.reviewer):
        return _outcome(request, run_id, Outcome.REFUSED, [_second_reviewer_wanted(first.reviewer)])
    current = read_catalog(path)
    if first is not None and current is not None and first.digest == content_digest(current):
        blockers = stamp_approval(path, request.reviewer, request.note, channel=request.channel,
                                  qa=(ctx, slug, request.lang), overrides=request.overrides, first=first.reviewer)
        outcome = Outcome.REFUSED if blockers else Outcome.APPROVED
        return _outcome(request, run_id, outcome, blockers, request.overrides if not blockers else None)
    blockers, digest = record_first_approval(path, request.reviewer, (ctx, slug, request.lang), request.overrides)
    if blockers:
        return _outcome(request, run_id, Outcome.REFUSED, blockers)
    return _outcome(request, run_id, Outcome.FIRST_APPROVAL, [], request.overrides, digest=digest)


def record_first_approval(path: Path, reviewer: str, qa: tuple[Context, str, str],
                          overrides: Mapping[str, str]) -> tuple[list[str], str | None]:
    """Check a first approval as an approval is checked (and write its overrides); the blockers, or the digest
    of the content approved."""

    def change(edit: Edit) -> tuple[list[str], str | None]:
        blockers = approval_blockers(edit.po) or _apply_overrides(edit.po, *qa, overrides, reviewer)
        if blockers:
            return blockers, None
        edit.changed = bool(overrides)
        return [], content_digest(edit.po)

    return update_catalog(path, change)


def stamp_approval(path: Path, reviewer: str, note: str = "", *, channel: Channel = Channel.CLI,
                   qa: tuple[Context, str, str] | None = None,
                   overrides: Mapping[str, str] | None = None, first: str | None = None) -> list[str]:
    """Write an approval into the catalog header (who, when, the note, the digest of what was approved) if,
    under the catalog's lock, nothing blocks it; otherwise the blockers, and nothing is written.

    With ``qa`` (context, slug, lang), the critical QA findings block too, unless ``overrides`` names them
    with a reason: those reasons are written on their entries (``qa-override`` comments) with the approval.
    """

    def change(edit: Edit) -> list[str]:
        blockers = approval_blockers(edit.po)
        if blockers:
            return blockers
        if qa is not None:
            blockers = _apply_overrides(edit.po, *qa, overrides or {}, reviewer)
            if blockers:
                return blockers
        meta = edit.po.metadata
        meta[APPROVED_BY] = reviewer
        meta[APPROVED_AT] = now_utc().isoformat()
        meta[REVIEW_NOTE] = note.replace("\n", " ")
        meta[APPROVED_VIA] = channel.value
        if first:
            meta[FIRST_APPROVED_BY] = first  # four-eyes: the reviewer who approved before this one
        else:
            meta.pop(FIRST_APPROVED_BY, None)
        meta[APPROVED_DIGEST] = content_digest(edit.po)
        edit.changed = True
        return []

    return update_catalog(path, change)


def _remember(workspace: Workspace, slug: str, lang: str, request: str) -> list[RecordFailed]:
    """Add an approved language to the translation memory and its drafts' post-edit pairs to the record.
    Neither undoes the approval when it cannot be written; a failure is recorded in the review log (status
    and the desk say it, with its remedy) and returned for the run's log, never swallowed."""
    po = read_catalog(workspace.catalog_path(slug, lang))
    failures = []
    try:
        remember(workspace, slug, lang, po)
    except (OSError, sqlite3.Error) as exc:
        failures.append(RecordFailed(lang=lang, request=request, record="translation memory", reason=_reason(exc),
                                     remedy="`tarjama tm rebuild` makes it again from the approved catalogs"))
    try:
        record_approval(workspace, slug, lang, po, request)
    except OSError as exc:
        failures.append(RecordFailed(lang=lang, request=request, record="post-edit record", reason=_reason(exc)))
    if failures:
        review_log.append(workspace, slug, *failures)
    return failures


def _reason(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "strerror", None) or exc).split())[:200] or type(exc).__name__


def _apply_overrides(po: polib.POFile, ctx: Context, slug: str, lang: str, overrides: Mapping[str, str],
                     reviewer: str) -> list[str]:
    """Record the given overrides of current critical findings on their entries; the findings still blocking."""
    findings = ctx.findings(slug, [lang], replace={lang: po}).get(lang, [])  # checked once, under the lock
    entries = {e.msgctxt: e for e in po if not e.obsolete}
    passed = set()
    for finding in findings:
        reason = overrides.get(finding.key)
        if finding.blocks and reason and finding.segment in entries:
            add_override(entries[finding.segment], finding.check, reason, reviewer)
            passed.add(finding.key)
    return _blocker_lines([f for f in findings if f.blocks and f.key not in passed])


def _approved_unpublished(events: list[review_log.Event], run_id: str) -> list[DecisionMade]:
    done = {e.request for e in events if isinstance(e, (Published, PublishFailed)) and e.request}
    return [e for e in events if isinstance(e, DecisionMade) and e.run_id == run_id
            and e.outcome is Outcome.APPROVED and e.request not in done]


def publish_language(ctx: Context, slug: str, lang: str, *, request: str | None = None,
                     run_id: str | None = None, reviewed: bool = True) -> Published | PublishFailed:
    """Publish an approved language (and the Arabic original), and record what happened: the files that
    exist afterwards, or why it failed. Never raises for a publication failure: it is recorded.
    ``reviewed=False``: the flash path's unreviewed machine draft, labelled so."""
    workspace = ctx.workspace
    try:
        results = site.publish_item(workspace, slug, lang, site_url=ctx.settings.site.url,
                                     publisher=ctx.settings.site.publisher, reviewed=reviewed)
        paths = [path.relative_to(workspace.root).as_posix() for path in site.stable_paths(workspace, slug, lang)]
        missing = [p for p in paths if not (workspace.root / p).exists()]
        if missing:
            raise TarjamaError(f"files missing after publishing: {', '.join(missing)}")
        version = next(r.version for r in results if r.lang == lang)
        event: Published | PublishFailed = Published(lang=lang, version=version, paths=paths, request=request,
                                                     run_id=run_id, reviewed=reviewed)
    except Exception as exc:  # whatever the cause, it is recorded as the reason, in one line
        event = PublishFailed(lang=lang, reason=_one_line(exc), request=request, run_id=run_id, reviewed=reviewed)
    review_log.append(workspace, slug, event)
    return event


def publish_if_missing(ctx: Context, slug: str, lang: str, run_id: str) -> Published | PublishFailed | None:
    """An approved, unchanged language whose publication is not there (it failed, or the files went missing)
    is published again; otherwise nothing happens."""
    last = next((e for e in reversed(review_log.read(ctx.workspace, slug))
                 if isinstance(e, (Published, PublishFailed)) and e.lang == lang and e.reviewed), None)
    if isinstance(last, Published) and all((ctx.workspace.root / p).is_file() for p in last.paths):
        return None
    return publish_language(ctx, slug, lang, run_id=run_id)


def unpublished(workspace: Workspace, slug: str, langs: list[str]) -> list[tuple[str, str]]:
    """Languages among ``langs`` whose latest publication failed, with the reason."""
    latest: dict[str, Published | PublishFailed] = {}
    for event in review_log.read(workspace, slug):
        if isinstance(event, (Published, PublishFailed)) and event.reviewed:
            latest[event.lang] = event
    return [(lang, latest[lang].reason) for lang in langs if isinstance(latest.get(lang), PublishFailed)]


def republish(ctx: Context, slug: str, lang: str) -> Published | PublishFailed:
    """``tarjama publish``: publish an approved language again from its catalog (after a failure was fixed)."""
    workspace = ctx.workspace
    path = workspace.catalog_path(slug, lang)
    po = read_catalog(path)
    if po is None:
        raise InputError(f"no catalog {workspace.relative(path)}: is {slug!r} translated into {lang}?")
    if not approval_holds(po):
        state = fold(review_log.read(workspace, slug)).langs.get(lang)
        why = state.describe(slug) if state and state.state is not ReviewState.PUBLISHED else "not approved"
        raise InputError(f"{slug} {lang} cannot be published: its catalog is not approved as it is now ({why}); "
                         "approve it first")
    return publish_language(ctx, slug, lang)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, TarjamaError) else f"{type(exc).__name__}: {text}"
