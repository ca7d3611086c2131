"""What editors and reviewers see in the Prefect UI: the Run form of the deployment and the Resume form.

The Resume form offers only the languages still waiting, as a choice: the
choice is in the form's schema (what the UI shows and the server enforces),
not in the model, because a replayed run loads the answers of its earlier
suspensions with the form of its current one. It has
one more field, ``request``, kept out of the form's schema: tarjama's CLI and
desk record a decision first and then resume the run with that request's id
(a wake-up), while a decision typed into the UI has no id and is recorded by
the run itself. The Run form is one model,
:class:`tarjama.run_request.RunRequest` (a title and a one-line description per
field, languages and providers as choices); the flow leaves out of it what the
deployment decides (the workspace, the concurrency, the review timeout).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from prefect.input import RunInput
from pydantic import Field

from tarjama.review.request import MAX_NOTE, MAX_REVIEWER


class ReviewDecision(RunInput):
    """A decision about one language (the Resume form)."""

    language: str = Field(title="Language", description="The language you decide on (only those still waiting)")
    decision: Literal["approve", "request_changes"] = Field(
        "approve", title="Decision",
        description="approve publishes the language; request_changes keeps it waiting, with your note")
    reviewer: str = Field(min_length=1, max_length=MAX_REVIEWER, title="Your name",
                          description="Recorded with the decision (not verified here: the review desk logs you in)")
    note: str = Field("", max_length=MAX_NOTE, title="Note", description="Optional, recorded with the decision")
    request: str = Field("", description="set by tarjama's CLI and desk; not part of the form")

    _choices: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        properties = target.get("properties", {})
        properties.pop("request", None)
        if cls._choices:
            properties["language"] = {**properties.get("language", {}), "enum": list(cls._choices),
                                      "default": cls._choices[0]}
        target.pop("additionalProperties", None)  # a wake-up carries ``request``; the server must accept it
        return schema


def decision_form(waiting: list[str], description: str) -> type[ReviewDecision]:
    """The Resume form for this suspension: the waiting languages as the choices, the review as its text."""
    form = type("ReviewDecision", (ReviewDecision,), {"_choices": tuple(waiting), "__module__": __name__})
    form._description = description
    return form
