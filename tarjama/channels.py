"""Where a reviewer's decision comes from, and what that says about who the reviewer is.

The review log records it with every decision; published pages say it in their provenance.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """Where a decision came from (the desk authenticates its reviewers; the others take a name as given)."""

    DESK = "desk"
    CLI = "cli"
    PREFECT_UI = "prefect-ui"
    WEBLATE = "weblate"  # every string of a language approved in Weblate, read from its API with tarjama's token

    @property
    def authenticated(self) -> bool:
        """The desk and Weblate know who their reviewer is (a login); a name typed elsewhere is taken as given."""
        return self in (Channel.DESK, Channel.WEBLATE)

    def describe(self) -> str:
        """How the reviewer's name was obtained, for status lines and provenance."""
        if self is Channel.DESK:
            return "authenticated in the review desk"
        if self is Channel.WEBLATE:
            return "a Weblate account that approved every string, read from Weblate's API"
        where = "the CLI" if self is Channel.CLI else "the Prefect UI"
        return f"name given through {where}, not verified"
