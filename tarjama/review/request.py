"""A reviewer's decision as one value, validated once where it is made (the CLI, the desk, the Resume form).

Everything after takes a :class:`DecisionRequest` and never checks its fields
again: the precheck against the catalog, the review log's record, the run that
decides it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tarjama.errors import InputError
from tarjama.qa.checks import check_names
from tarjama.review.events import Channel, Decision

MAX_NOTE = 500
MAX_REVIEWER = 100


@dataclass(frozen=True)
class DecisionRequest:
    """Who decides what about which language of an item, through which channel; build it with :meth:`make`."""

    slug: str
    lang: str
    decision: Decision
    reviewer: str
    note: str = ""
    channel: Channel = Channel.CLI
    overrides: Mapping[str, str] = field(default_factory=dict)  # "p1.s2:numbers" -> why the finding may pass

    @classmethod
    def make(cls, slug: str, lang: str, decision: str, reviewer: str, note: str = "", *, channel: Channel,
             overrides: Mapping[str, str] | None = None) -> DecisionRequest:
        """The request, or one InputError line naming the field to fix."""
        chosen = check_decision(lang, decision, reviewer, note)
        return cls(slug, lang.strip(), chosen, reviewer.strip(), note.strip(), channel, check_overrides(overrides))


def check_decision(lang: str, decision: str, reviewer: str, note: str = "") -> Decision:
    try:
        chosen = Decision(decision)
    except ValueError:
        raise InputError(f"decision must be one of {', '.join(d.value for d in Decision)}, not {decision!r}") from None
    if not reviewer.strip():
        raise InputError("a decision needs the reviewer's name (--reviewer)")
    if len(reviewer) > MAX_REVIEWER or any(ch in reviewer for ch in "\n\r\t\x00"):
        raise InputError(f"the reviewer's name must be one line of at most {MAX_REVIEWER} characters")
    if not lang.strip():
        raise InputError("a decision needs the language it is about (--lang)")
    if len(note) > MAX_NOTE:
        raise InputError(f"the note is {len(note)} characters; keep it under {MAX_NOTE}")
    return chosen


def check_overrides(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """``{"p1.s2:numbers": "reason"}``: each key a segment and a check, each with a reason on one line."""
    checked = {}
    for key, reason in (overrides or {}).items():
        segment, _, name = key.strip().partition(":")
        if not segment or name not in check_names():
            raise InputError(f"--override {key!r}: write SEGMENT:CHECK=REASON, e.g. p1.s2:numbers=\"the source "
                             f"is wrong\"; checks are {', '.join(check_names())}")
        reason = " ".join(str(reason).split())
        if not reason:
            raise InputError(f"--override {key}: give the reason the finding may pass")
        if len(reason) > MAX_NOTE:
            raise InputError(f"--override {key}: keep the reason under {MAX_NOTE} characters")
        checked[f"{segment}:{name}"] = reason
    return checked
