"""The review log: ``translations/<slug>/review.log.jsonl``, one typed event per line, append-only.

It is the durable record of everything that happens to an item under review:
which run owns the item, what it waits for, every decision a reviewer asked
for (a *request*, recorded before any run is woken) and what came of it,
every publication and every failed one. It survives a reset of the Prefect
database; a replayed run finds what it already did here, and ``tarjama
status`` and the desk read states from it without Prefect. Display text is
derived from these records, never parsed back out of it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tarjama.channels import Channel
from tarjama.clock import now_utc
from tarjama.fsio import append_jsonl, read_jsonl
from tarjama.workspace import Workspace


class Decision(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"


class Outcome(StrEnum):
    """What a run made of a decision request."""

    APPROVED = "approved"
    REFUSED = "refused"  # the catalog does not allow an approval yet
    CHANGES_REQUESTED = "changes-requested"
    IGNORED = "ignored"  # the language was not waiting, or the run ended before taking the request
    FIRST_APPROVAL = "first-approval"  # four-eyes: approved by one reviewer, a second different one must approve


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)

    at: dt.datetime = Field(default_factory=now_utc)


class RunStarted(_Event):
    """A run claimed the item: from now on it is the item's current run (one live run per item)."""

    event: Literal["run-started"] = "run-started"
    run_id: str
    source_digest: str
    targets: list[str]
    providers: list[str]


class Superseded(_Event):
    """A newer run took the item over; the older one stops waiting."""

    event: Literal["superseded"] = "superseded"
    run_id: str
    by: str

    @staticmethod
    def reason(by: str) -> str:
        """What a superseded run's Cancelled state says, whoever cancels it (the newer run, the older one at its
        gate, or the review watcher)."""
        return f"superseded by run {by}: the item was run again"


class Waiting(_Event):
    """The run's review gate opened: these languages wait for a decision, until ``deadline``."""

    event: Literal["waiting"] = "waiting"
    run_id: str
    langs: list[str]
    already_approved: list[str] = []
    deadline: dt.datetime
    urgency: str = "normal"  # the item's urgency for this run (tarjama.urgency), which chose the deadline
    remind_before_minutes: float | None = None  # its policy's reminder (None: [review] remind_before_minutes)


class DecisionRequested(_Event):
    """A reviewer's decision, recorded before any run is woken: it is never lost."""

    event: Literal["decision-requested"] = "decision-requested"
    request: str
    lang: str
    decision: Decision
    reviewer: str
    note: str = ""
    channel: Channel
    overrides: dict[str, str] = {}  # QA findings the reviewer lets pass ("p1.s2:numbers") and why


class DecisionMade(_Event):
    """What the item's run made of a request, checked against the catalog as it was then."""

    event: Literal["decision-made"] = "decision-made"
    request: str
    run_id: str | None
    lang: str
    decision: Decision
    reviewer: str
    note: str = ""
    channel: Channel
    outcome: Outcome
    blockers: list[str] = []
    overrides: dict[str, str] = {}  # the QA findings this approval let pass, with the reviewer's reasons
    digest: str | None = None  # four-eyes: the catalog's content as the first reviewer approved it

    def describe(self, limit: int = 3) -> str:
        """One line for the run's log, its Resume description and notifications. A refusal is the run's, not
        the reviewer's: "approval requested by Samia (desk) refused: p1.s2: not reviewed (fuzzy)"."""
        who = f"{self.reviewer} ({self.channel.value})"
        why = "; ".join(self.blockers[:limit]) + (f" (and {len(self.blockers) - limit} more)" if len(self.blockers) > limit
                                                   else "")
        asked = "approval" if self.decision is Decision.APPROVE else "request for changes"
        match self.outcome:
            case Outcome.APPROVED:
                return f"approved by {who}"
            case Outcome.FIRST_APPROVAL:
                return f"first approval by {who}; a second, different reviewer must approve (four-eyes)"
            case Outcome.CHANGES_REQUESTED:
                return f"changes requested by {who}" + (f": {self.note}" if self.note else "")
            case Outcome.REFUSED:
                return f"{asked} requested by {who} refused: {why}"
            case _:
                return f"{asked} by {who} not taken: {why}"


class LowRiskAccepted(_Event):
    """A reviewer accepted the low-risk segments of a language together (``[review] policy = "by-exception"``):
    who, which segments, and each one's band and reasons as they were when accepted."""

    event: Literal["low-risk-accepted"] = "low-risk-accepted"
    lang: str
    reviewer: str
    channel: Channel
    policy: str
    segments: list[dict]  # {"id", "band", "reasons": [...]}


class ReminderSent(_Event):
    """The reviewers were reminded that a run's review nears its deadline (sent once per run)."""

    event: Literal["reminder-sent"] = "reminder-sent"
    run_id: str
    langs: list[str]
    deadline: dt.datetime


class FlashDecided(_Event):
    """Whether a language of an item whose policy publishes before review (``[review.flash]``) went out unreviewed,
    and why not when it did not (a critical QA finding, an untranslated segment, a four-eyes item ...)."""

    event: Literal["flash-decided"] = "flash-decided"
    run_id: str
    lang: str
    urgency: str
    publish: bool
    reasons: list[str] = []


class Published(_Event):
    """A language's version went live; ``paths`` are the files written, relative to the workspace. ``reviewed`` is
    False for a machine draft published before review (the flash path)."""

    event: Literal["published"] = "published"
    lang: str
    version: int
    paths: list[str]
    request: str | None = None
    run_id: str | None = None
    reviewed: bool = True


class PublishFailed(_Event):
    """An approved language could not be published; ``tarjama publish`` tries again once it is fixed. ``reviewed``
    is False for a machine draft that the flash path could not publish (the language still waits for review)."""

    event: Literal["publish-failed"] = "publish-failed"
    lang: str
    reason: str
    request: str | None = None
    run_id: str | None = None
    reviewed: bool = True


class RecordFailed(_Event):
    """An approval stands, but a record made from it could not be written (the translation memory, the
    post-edit pairs): said where people look, so nothing a person approved is dropped without a word."""

    event: Literal["record-failed"] = "record-failed"
    lang: str
    request: str | None = None
    record: str  # "translation memory" or "post-edit record"
    reason: str
    remedy: str = ""


class TimedOut(_Event):
    event: Literal["timed-out"] = "timed-out"
    run_id: str
    langs: list[str]


Event = Annotated[RunStarted | Superseded | Waiting | DecisionRequested | DecisionMade | Published | PublishFailed
                  | RecordFailed | TimedOut | LowRiskAccepted | ReminderSent | FlashDecided, Field(discriminator="event")]
_EVENT = TypeAdapter(Event)


def log_path(workspace: Workspace, slug: str) -> Path:
    return workspace.item_dir(slug) / "review.log.jsonl"


def append(workspace: Workspace, slug: str, *events: _Event) -> None:
    """Append events durably (one fsync), under the log's lock."""
    append_jsonl(log_path(workspace, slug), [e.model_dump(mode="json") for e in events], f"review log of {slug!r}")


def read(workspace: Workspace, slug: str) -> list[Event]:
    """Every event of the item, oldest first; a line this version cannot read (a torn write, an event from
    an older tarjama) is skipped."""
    events: list[Event] = []
    for raw in read_jsonl(log_path(workspace, slug)):
        try:
            events.append(_EVENT.validate_python(raw))
        except ValidationError:
            continue
    return events
