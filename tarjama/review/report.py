"""What one decision request came to, said the same way by the CLI and the desk: only what happened.

Published (with the files that exist), refused (why), failed (why), changes
requested, ignored, or still in progress; each has its own exit status.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from tarjama.review.events import DecisionRequested, Outcome, Published, PublishFailed
from tarjama.review.state import RequestResult
from tarjama.workspace import Workspace


class Verdict(StrEnum):
    PUBLISHED = "published"
    PUBLISH_FAILED = "publication failed"
    REFUSED = "refused"
    CHANGES_REQUESTED = "changes requested"
    IGNORED = "ignored"
    IN_PROGRESS = "in progress"
    FIRST_APPROVAL = "first approval recorded"


class ExitStatus(IntEnum):
    """Exit statuses of ``tarjama approve`` and ``request-changes`` (2 and 3 are input errors and busy items)."""

    OK = 0
    REFUSED = 1
    FAILED = 4
    IN_PROGRESS = 5


@dataclass(frozen=True)
class DecisionReport:
    request: DecisionRequested
    result: RequestResult | None = None

    @property
    def verdict(self) -> Verdict:
        if self.result is None or self.result.decision is None:
            return Verdict.IN_PROGRESS
        outcome = self.result.decision.outcome
        if outcome is Outcome.APPROVED:
            match self.result.publication:
                case Published():
                    return Verdict.PUBLISHED
                case PublishFailed():
                    return Verdict.PUBLISH_FAILED
                case _:
                    return Verdict.IN_PROGRESS
        return {Outcome.REFUSED: Verdict.REFUSED, Outcome.CHANGES_REQUESTED: Verdict.CHANGES_REQUESTED,
                Outcome.IGNORED: Verdict.IGNORED, Outcome.FIRST_APPROVAL: Verdict.FIRST_APPROVAL}[outcome]

    @property
    def exit_status(self) -> ExitStatus:
        return {Verdict.PUBLISHED: ExitStatus.OK, Verdict.CHANGES_REQUESTED: ExitStatus.OK,
                Verdict.FIRST_APPROVAL: ExitStatus.OK,
                Verdict.REFUSED: ExitStatus.REFUSED, Verdict.IGNORED: ExitStatus.REFUSED,
                Verdict.PUBLISH_FAILED: ExitStatus.FAILED, Verdict.IN_PROGRESS: ExitStatus.IN_PROGRESS}[self.verdict]

    @property
    def blockers(self) -> list[str]:
        return list(self.result.decision.blockers) if self.result and self.result.decision else []

    def published_paths(self, workspace: Workspace) -> list[str]:
        """The published files of this approval that exist now (never a path that is not there)."""
        publication = self.result.publication if self.result else None
        if not isinstance(publication, Published):
            return []
        return [p for p in publication.paths if (workspace.root / p).is_file()]

    def summary(self, slug: str) -> str:
        r, lang = self.request, self.request.lang
        match self.verdict:
            case Verdict.PUBLISHED:
                return f"{lang} approved by {r.reviewer} and published"
            case Verdict.PUBLISH_FAILED:
                reason = self.result.publication.reason  # type: ignore[union-attr]
                return (f"{lang} approved by {r.reviewer}, but publication failed: {reason}; "
                        f"fix the cause, then run `tarjama publish {slug} --lang {lang}`")
            case Verdict.REFUSED:
                return f"{lang} approval refused: {'; '.join(self.blockers[:6])}" + (
                    f"; and {len(self.blockers) - 6} more" if len(self.blockers) > 6 else "")
            case Verdict.CHANGES_REQUESTED:
                return f"{lang}: changes requested by {r.reviewer}" + (f" ({r.note})" if r.note else "")
            case Verdict.FIRST_APPROVAL:
                return (f"{lang}: first approval by {r.reviewer} recorded; this item needs a second, different "
                        "reviewer's approval before it is published (four-eyes)")
            case Verdict.IGNORED:
                return f"{lang}: decision not applied ({'; '.join(self.blockers)})"
            case _:
                taken = self.result is not None and self.result.decision is not None
                return (f"{lang}: approved by {r.reviewer}; publication still in progress" if taken else
                        f"{lang}: decision {r.request} recorded; the run has not taken it yet (it will when it wakes; "
                        "see `tarjama status`)")
