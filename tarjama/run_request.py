"""What an editor asks a run to do: the item and the options that decide what it drafts.

One model for the deployment's Run form (Prefect builds the form from it: titles, descriptions, choices), for
``tarjama translate``'s options and for an item dropped into the inbox; the flow takes it whole, and the
idempotency key of a run (one run per item text and options) is made from :meth:`RunRequest.options`. What the
deployment decides (the workspace, the concurrency, the review timeout) stays outside it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tarjama.languages import DEFAULT_TARGETS, OFFERED_TARGETS
from tarjama.mt.providers import all_providers
from tarjama.urgency import Urgency

Language = Literal[OFFERED_TARGETS]  # type: ignore[valid-type]
ProviderName = Literal[tuple(all_providers())]  # type: ignore[valid-type]
UrgencyChoice = Literal[tuple(u.value for u in Urgency)]  # type: ignore[valid-type]


def _field(default: Any, title: str, description: str) -> Any:
    return Field(default, title=title, description=description)


class RunRequest(BaseModel):
    """The item (a file or a pasted text) and the options an editor chose."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item_path: str = _field("", "Item file", "An item in content/inbox/ (.txt, .md or ninjs .json), e.g. "
                            "content/inbox/item.txt; or leave it empty and paste the item below")
    headline: str = _field("", "Headline", "The Arabic headline of a pasted item")
    body: str = _field("", "Body", "The Arabic text of a pasted item, paragraphs separated by blank lines")
    targets: list[Language] = _field(list(DEFAULT_TARGETS), "Languages", "The languages to translate into")
    providers: list[ProviderName] = _field([], "MT providers",
                                           "In fallback order; leave empty for the newsroom's configured chain")
    suggest_from: list[ProviderName] = _field([], "Alternatives from",
                                              "Engines whose outputs reviewers get beside the draft (costs their "
                                              "requests); leave empty for the configured ones")
    urgency: UrgencyChoice | None = _field(None, "Urgency",
                                          "flash publishes the machine draft at once, labelled unreviewed, where "
                                          "the newsroom's policy allows; leave empty for the item's own (its front "
                                          "matter or ninjs), else normal")

    @classmethod
    def of(cls, parameters: dict | None) -> RunRequest:
        """The request in a run's parameters as the REST API returns them (an empty one when it has none), taken as
        stored: what Prefect validated when the run was made is not judged again by today's choices."""
        given = (parameters or {}).get("request") or {}
        return cls.model_construct(**{key: value for key, value in given.items() if key in cls.model_fields})

    def options(self) -> dict[str, Any]:
        """The options that decide what the run drafts, as the idempotency key and "other options" compare them
        (the urgency only when given: the keys of runs started without one stay what they were)."""
        chosen: dict[str, Any] = {"targets": list(self.targets), "providers": list(self.providers),
                                  "suggest_from": list(self.suggest_from)}
        if self.urgency:
            chosen["urgency"] = self.urgency
        return chosen
