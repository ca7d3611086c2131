"""Where an item stands in review, folded from its log: typed states, display text derived from them.

Only the item's current run (the latest to claim it) can put a language in
waiting or time it out, so an older run's late events never show over a
newer outcome. Decisions and publications are facts about the item, whichever
run made them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from tarjama.review.events import (
    Channel,
    DecisionMade,
    DecisionRequested,
    Event,
    Outcome,
    Published,
    PublishFailed,
    RecordFailed,
    RunStarted,
    Superseded,
    TimedOut,
    Waiting,
    now_utc,
    read,
)
from tarjama.workspace import Workspace


class ReviewState(StrEnum):
    NOT_IN_REVIEW = "not in review"
    WAITING = "waiting"
    CHANGES_REQUESTED = "changes requested"
    APPROVED = "approved"  # approved; its publication is not recorded yet
    PUBLISHED = "published"
    PUBLISH_FAILED = "publication failed"
    TIMED_OUT = "timed out"

    @property
    def awaits_decision(self) -> bool:
        return self in (ReviewState.WAITING, ReviewState.CHANGES_REQUESTED)


@dataclass(frozen=True)
class LanguageReview:
    """One language of an item: its state, since when, who decided, and what happened after."""

    lang: str
    state: ReviewState
    since: dt.datetime
    run_id: str | None = None
    reviewer: str | None = None
    note: str | None = None
    deadline: dt.datetime | None = None
    version: int | None = None
    reason: str | None = None
    channel: Channel | None = None  # where the deciding reviewer's name came from
    not_recorded: tuple[str, ...] = ()  # records of this approval that could not be written, each with its remedy
    first_approval: str | None = None  # four-eyes: who approved first, while a second reviewer is awaited
    published_unreviewed: int | None = None  # the flash path: the version now published is this unreviewed one

    @property
    def overdue(self) -> bool:
        return self.state.awaits_decision and self.deadline is not None and self.deadline < now_utc()

    @property
    def by(self) -> str:
        """The reviewer and how their name was obtained: "Samia (desk)", "Ali (cli, not verified)"."""
        if self.channel is None:
            return str(self.reviewer)
        return f"{self.reviewer} ({self.channel.value}{'' if self.channel.authenticated else ', not verified'})"

    def describe(self, slug: str = "SLUG") -> str:
        """One line for people (status, the desk); derived from the state, never parsed."""
        since = f"{self.since:%Y-%m-%d %H:%M}"
        match self.state:
            case ReviewState.WAITING:
                text = f"waiting since {since}"
                if self.first_approval:
                    text += f"; approved by {self.first_approval}, a second reviewer must approve (four-eyes)"
            case ReviewState.CHANGES_REQUESTED:
                text = f"changes requested by {self.by} {since}" + (f" ({self.note})" if self.note else "")
            case ReviewState.APPROVED:
                text = f"approved by {self.by} {since}, not published yet"
            case ReviewState.PUBLISHED:
                text = f"published v{self.version} {since}" + (f", approved by {self.by}" if self.reviewer else "")
            case ReviewState.PUBLISH_FAILED:
                text = (f"approved by {self.by}, publication failed {since}: {self.reason}; "
                        f"fix it, then `tarjama publish {slug} --lang {self.lang}`")
            case ReviewState.TIMED_OUT:
                text = f"timed out {since}"
            case _:
                text = "not in review"
        text += "".join(f"; {problem}" for problem in self.not_recorded)
        if self.published_unreviewed is not None:
            text += f"; published before review as v{self.published_unreviewed} (machine translation, labelled unreviewed)"
        return text + (" (overdue)" if self.overdue else "")


@dataclass(frozen=True)
class RequestResult:
    """What became of one decision request, as its sender is told."""

    request: DecisionRequested
    decision: DecisionMade | None = None
    publication: Published | PublishFailed | None = None

    @property
    def final(self) -> bool:
        """Decided, and for an approval, published or failed to publish."""
        if self.decision is None:
            return False
        return self.decision.outcome is not Outcome.APPROVED or self.publication is not None


@dataclass(frozen=True)
class ItemReview:
    """An item's review, folded from its whole log."""

    current_run: str | None = None
    source_digest: str | None = None
    providers: tuple[str, ...] = ()
    langs: dict[str, LanguageReview] = field(default_factory=dict)
    pending: tuple[DecisionRequested, ...] = ()
    superseded: frozenset[str] = frozenset()

    def waiting_langs(self) -> list[str]:
        return [lang for lang, review in self.langs.items()
                if review.state.awaits_decision and review.run_id == self.current_run]


def fold(events: list[Event]) -> ItemReview:
    current, digest, providers = None, None, ()
    langs: dict[str, LanguageReview] = {}
    requests: dict[str, DecisionRequested] = {}
    decided: set[str] = set()
    superseded: set[str] = set()
    deadlines: dict[str, dt.datetime] = {}
    unreviewed_live: dict[str, int] = {}  # languages whose published version is an unreviewed machine draft
    for e in events:
        match e:
            case RunStarted():
                current, digest, providers = e.run_id, e.source_digest, tuple(e.providers)
            case Superseded():
                superseded.add(e.run_id)
            case Waiting() if e.run_id == current:
                deadlines[e.run_id] = e.deadline
                for lang in e.langs:
                    langs[lang] = LanguageReview(lang, ReviewState.WAITING, e.at, e.run_id, deadline=e.deadline)
            case DecisionRequested():
                requests[e.request] = e
            case DecisionMade():
                decided.add(e.request)
                previous = langs.get(e.lang)
                if e.outcome is Outcome.CHANGES_REQUESTED and previous and previous.state.awaits_decision:
                    langs[e.lang] = replace(previous, state=ReviewState.CHANGES_REQUESTED, since=e.at,
                                            reviewer=e.reviewer, note=e.note, channel=e.channel, first_approval=None)
                elif e.outcome is Outcome.FIRST_APPROVAL and previous and previous.state.awaits_decision:
                    langs[e.lang] = replace(previous, first_approval=e.reviewer)
                elif e.outcome is Outcome.APPROVED:
                    langs[e.lang] = LanguageReview(e.lang, ReviewState.APPROVED, e.at, e.run_id, e.reviewer, e.note,
                                                   channel=e.channel)
            case Published() if not e.reviewed:
                unreviewed_live[e.lang] = e.version  # the language still waits: its state does not change
            case Published():
                unreviewed_live.pop(e.lang, None)
                previous = langs.get(e.lang)
                reviewer = previous.reviewer if previous else None
                if previous is None or not previous.state.awaits_decision:
                    langs[e.lang] = LanguageReview(e.lang, ReviewState.PUBLISHED, e.at, e.run_id or
                                                   (previous.run_id if previous else None), reviewer, version=e.version,
                                                   channel=previous.channel if previous else None,
                                                   not_recorded=previous.not_recorded if previous else ())
            case PublishFailed() if not e.reviewed:
                pass  # the flash path could not publish the draft: the language waits for review as before
            case PublishFailed():
                previous = langs.get(e.lang)
                if previous is None or not previous.state.awaits_decision:
                    langs[e.lang] = LanguageReview(e.lang, ReviewState.PUBLISH_FAILED, e.at, e.run_id,
                                                   previous.reviewer if previous else None, reason=e.reason,
                                                   channel=previous.channel if previous else None)
            case RecordFailed():
                previous = langs.get(e.lang)
                if previous is not None and not previous.state.awaits_decision:
                    problem = f"{e.record} not updated ({e.reason})" + (f": {e.remedy}" if e.remedy else "")
                    langs[e.lang] = replace(previous, not_recorded=(*previous.not_recorded, problem))
            case TimedOut() if e.run_id == current:
                for lang in e.langs:
                    if lang in langs and langs[lang].state.awaits_decision:
                        langs[lang] = LanguageReview(lang, ReviewState.TIMED_OUT, e.at, e.run_id)
    for lang, version in unreviewed_live.items():
        if lang in langs:
            langs[lang] = replace(langs[lang], published_unreviewed=version)
    pending = tuple(r for key, r in requests.items() if key not in decided)
    return ItemReview(current, digest, providers, langs, pending, frozenset(superseded))


def item_review(workspace: Workspace, slug: str) -> ItemReview:
    return fold(read(workspace, slug))


def waiting_in_run(events: list[Event], run_id: str) -> tuple[dt.datetime | None, list[str]]:
    """A run's review deadline and the languages it still waits for (approved ones leave the list)."""
    deadline, waiting = None, []
    for e in events:
        if isinstance(e, Waiting) and e.run_id == run_id:
            deadline, waiting = e.deadline, list(e.langs)
        elif isinstance(e, DecisionMade) and e.run_id == run_id and e.outcome is Outcome.APPROVED and e.lang in waiting:
            waiting.remove(e.lang)
    return deadline, waiting


def request_result(events: list[Event], request_id: str) -> RequestResult | None:
    """The request and what became of it so far; None when no such request was recorded."""
    request = decision = publication = None
    for e in events:
        if isinstance(e, DecisionRequested) and e.request == request_id:
            request = e
        elif isinstance(e, DecisionMade) and e.request == request_id:
            decision = e
        elif isinstance(e, (Published, PublishFailed)) and e.request == request_id:
            publication = e
    return RequestResult(request, decision, publication) if request else None


def opened(events: list[Event], run_id: str) -> Waiting | None:
    return next((e for e in events if isinstance(e, Waiting) and e.run_id == run_id), None)
