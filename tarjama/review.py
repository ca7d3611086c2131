"""Review decisions: who approved which language, when, and whether the catalog allowed it.

The review log (``translations/<slug>/review.log.jsonl``, append-only, one JSON
event per line) is the durable record: it survives a reset of the Prefect
database, lets a replayed flow run find the outcome of a decision it already
handled, and lets ``tarjama status`` say who waits for what without Prefect.
Approvals are also written into the catalog header.

An approval is accepted only when every entry of the catalog is translated
and none is fuzzy; otherwise it is refused with the blocking segments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from tarjama.catalog import FUZZY, read_catalog, update_catalog
from tarjama.errors import InputError, TarjamaError
from tarjama.fsio import append_jsonl, read_jsonl
from tarjama.workspace import Workspace

APPROVE = "approve"
REQUEST_CHANGES = "request_changes"
DECISIONS = (APPROVE, REQUEST_CHANGES)
APPROVED, REFUSED, CHANGES_REQUESTED, IGNORED = "approved", "refused", "changes-requested", "ignored"


@dataclass(frozen=True)
class DecisionRecord:
    """One decision and what came of it, as stored in the review log."""

    lang: str
    decision: str
    reviewer: str
    note: str
    outcome: str
    at: str
    blockers: list[str] = field(default_factory=list)
    run_id: str | None = None
    key: str | None = None
    event: str = "decision"

    @property
    def accepted(self) -> bool:
        return self.outcome == APPROVED

    def summary(self) -> str:
        if self.outcome == APPROVED:
            return f"{self.lang} approved by {self.reviewer}"
        if self.outcome == REFUSED:
            shown = "; ".join(self.blockers[:5]) + (f"; and {len(self.blockers) - 5} more" if len(self.blockers) > 5 else "")
            return f"{self.lang} approval refused: {shown}"
        if self.outcome == CHANGES_REQUESTED:
            return f"{self.lang}: changes requested by {self.reviewer}" + (f" ({self.note})" if self.note else "")
        return f"{self.lang}: decision ignored ({'; '.join(self.blockers)})"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def log_path(workspace: Workspace, slug: str) -> Path:
    return workspace.item_dir(slug) / "review.log.jsonl"


def append_event(workspace: Workspace, slug: str, event: dict[str, Any]) -> None:
    append_jsonl(log_path(workspace, slug), event, f"review log of {slug!r}")


def read_events(workspace: Workspace, slug: str) -> list[dict[str, Any]]:
    return read_jsonl(log_path(workspace, slug))


def approval_blockers(po) -> list[str]:
    """Why a catalog cannot be approved: every untranslated or fuzzy entry, by segment id."""
    if po is None:
        return ["no catalog: nothing has been drafted"]
    blockers = []
    for entry in po:
        if entry.obsolete:
            continue
        seg = entry.msgctxt or entry.msgid[:20]
        if not entry.msgstr:
            blockers.append(f"{seg}: untranslated")
        elif FUZZY in entry.flags:
            blockers.append(f"{seg}: not reviewed (fuzzy)")
    if not any(not e.obsolete for e in po):
        blockers.append("the catalog has no entries")
    return blockers


def check_decision(lang: str, decision: str, reviewer: str) -> None:
    if decision not in DECISIONS:
        raise InputError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not reviewer.strip():
        raise InputError("a decision needs the reviewer's name (--reviewer)")
    if not lang.strip():
        raise InputError("a decision needs the language it is about (--lang)")


def precheck_decision(workspace: Workspace, slug: str, lang: str, decision: str, reviewer: str) -> None:
    """What the CLI and the desk check before sending a decision: the same rules the flow applies."""
    check_decision(lang, decision, reviewer)
    path = workspace.catalog_path(slug, lang)
    if not path.exists():
        raise InputError(f"no catalog {workspace.relative(path)}: is {slug!r} translated into {lang}? see `tarjama status`")
    if decision == APPROVE:
        blockers = approval_blockers(read_catalog(path))
        if blockers:
            shown = "; ".join(blockers[:6]) + (f"; and {len(blockers) - 6} more" if len(blockers) > 6 else "")
            raise ApprovalRefused(f"cannot approve {slug} {lang}: {shown}", blockers)


class ApprovalRefused(TarjamaError):
    """An approval the catalog does not allow yet; ``blockers`` lists why."""

    def __init__(self, message: str, blockers: list[str]) -> None:
        super().__init__(message)
        self.blockers = blockers


def decide(workspace: Workspace, slug: str, lang: str, decision: str, reviewer: str, note: str = "", *,
           waiting: Iterable[str] | None = None, run_id: str | None = None, key: str | None = None,
           now: dt.datetime | None = None) -> DecisionRecord:
    """Apply a decision to the catalog on disk, as it is now, and record it.

    ``waiting`` lists the languages still waiting in the run; a decision about
    another language is recorded as ignored.
    """
    check_decision(lang, decision, reviewer)
    now = now or now_utc()
    stamp = now.isoformat()
    reviewer, note = reviewer.strip(), note.strip()
    blockers: list[str] = []
    if waiting is not None and lang not in set(waiting):
        outcome = IGNORED
        blockers = [f"{lang} is not waiting for review in this run (waiting: {', '.join(waiting) or 'none'})"]
    elif decision == REQUEST_CHANGES:
        outcome = CHANGES_REQUESTED
    else:
        path = workspace.catalog_path(slug, lang)
        blockers = approval_blockers(read_catalog(path))
        outcome = REFUSED if blockers else APPROVED
        if not blockers:
            _stamp_header(path, reviewer, stamp, note)
    record = DecisionRecord(lang=lang, decision=decision, reviewer=reviewer, note=note, outcome=outcome,
                            at=stamp, blockers=blockers, run_id=run_id, key=key)
    append_event(workspace, slug, asdict(record))
    return record


def _stamp_header(path: Path, reviewer: str, stamp: str, note: str) -> None:
    """Write the approval into the catalog header, re-checking under the lock that it still qualifies."""

    def change(po):
        blockers = approval_blockers(po)
        if blockers:
            raise InputError(f"{path}: changed while approving: {blockers[0]}")
        po.metadata["X-Tarjama-Approved-By"] = reviewer
        po.metadata["X-Tarjama-Approved-At"] = stamp
        po.metadata["X-Tarjama-Review-Note"] = note.replace("\n", " ")
        return po, None, True

    update_catalog(path, change)


def find_decision(workspace: Workspace, slug: str, run_id: str, key: str) -> DecisionRecord | None:
    """The recorded outcome of decision ``key`` in run ``run_id``: how a replayed run stays consistent."""
    return next((r for r in decisions_in_run(workspace, slug, run_id) if r.key == key), None)


def open_review(workspace: Workspace, slug: str, run_id: str, langs: list[str], timeout: dt.timedelta,
                now: dt.datetime | None = None) -> dt.datetime:
    """Start waiting for review (once per run) and return the run's deadline, stable across replays."""
    for event in read_events(workspace, slug):
        if event.get("event") == "waiting" and event.get("run_id") == run_id:
            return dt.datetime.fromisoformat(event["deadline"])
    now = now or now_utc()
    deadline = now + timeout
    append_event(workspace, slug, {"event": "waiting", "run_id": run_id, "langs": langs,
                                   "since": now.isoformat(), "deadline": deadline.isoformat()})
    return deadline


def record_published(workspace: Workspace, slug: str, lang: str, version: int, run_id: str | None, key: str | None) -> None:
    append_event(workspace, slug, {"event": "published", "lang": lang, "version": version, "run_id": run_id,
                                   "key": key, "at": now_utc().isoformat()})


def was_published(workspace: Workspace, slug: str, run_id: str, key: str) -> bool:
    return any(e.get("event") == "published" and e.get("run_id") == run_id and e.get("key") == key
               for e in read_events(workspace, slug))


def record_timeout(workspace: Workspace, slug: str, run_id: str, langs: list[str]) -> None:
    append_event(workspace, slug, {"event": "timed-out", "run_id": run_id, "langs": langs, "at": now_utc().isoformat()})


@dataclass(frozen=True)
class LanguageReview:
    """Where one language of an item stands in review, folded from the log."""

    lang: str
    state: str  # waiting | approved | changes-requested | timed-out
    since: str
    run_id: str | None = None
    reviewer: str | None = None
    note: str | None = None
    deadline: str | None = None


def review_states(workspace: Workspace, slug: str) -> dict[str, LanguageReview]:
    """The latest review state per language."""
    states: dict[str, LanguageReview] = {}
    deadlines: dict[str, str] = {}
    for e in read_events(workspace, slug):
        kind = e.get("event")
        if kind == "waiting":
            deadlines[e["run_id"]] = e["deadline"]
            for lang in e.get("langs", []):
                states[lang] = LanguageReview(lang, "waiting", e["since"], e["run_id"], deadline=e["deadline"])
        elif kind == "decision" and e.get("outcome") in (APPROVED, CHANGES_REQUESTED):
            state = "approved" if e["outcome"] == APPROVED else "waiting (changes requested)"
            states[e["lang"]] = LanguageReview(e["lang"], state, e["at"], e.get("run_id"), e.get("reviewer"),
                                               e.get("note"), deadlines.get(e.get("run_id") or ""))
        elif kind == "timed-out":
            for lang in e.get("langs", []):
                states[lang] = LanguageReview(lang, "timed out", e["at"], e.get("run_id"))
    now = now_utc().isoformat()
    return {lang: (replace(r, state=f"{r.state} (overdue)") if r.state.startswith("waiting") and r.deadline
                   and r.deadline < now else r) for lang, r in states.items()}


def pending_in_run(workspace: Workspace, slug: str, run_id: str) -> tuple[dt.datetime | None, list[str]]:
    """A run's review deadline and the languages it still waits for, from the log."""
    deadline, waiting = None, []
    for e in read_events(workspace, slug):
        if e.get("run_id") != run_id:
            continue
        if e.get("event") == "waiting":
            deadline, waiting = dt.datetime.fromisoformat(e["deadline"]), list(e.get("langs", []))
        elif e.get("event") == "decision" and e.get("outcome") == APPROVED and e.get("lang") in waiting:
            waiting.remove(e["lang"])
    return deadline, waiting


def decisions_in_run(workspace: Workspace, slug: str, run_id: str) -> list[DecisionRecord]:
    return [DecisionRecord(**{k: v for k, v in e.items() if k in DecisionRecord.__dataclass_fields__})
            for e in read_events(workspace, slug) if e.get("event") == "decision" and e.get("run_id") == run_id]
