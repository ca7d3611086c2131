"""What an engine is asked to translate: a sentence with the text around it.

Engines that take context (DeepL's ``context``, an LLM's prompt) send the
sentence's paragraph and the headline with it; the others send the sentence
alone. A batch engine answers many sentences in one request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """One text to translate into ``target``, with its segment id and its context (empty when unknown)."""

    text: str
    target: str
    id: str = ""
    paragraph: str = ""
    headline: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """Identical texts into one language are translated once, whatever their context."""
        return self.text, self.target


@dataclass(frozen=True)
class BatchAnswer:
    """A batch engine's answer: one text per source, in order, and what the request cost."""

    texts: Sequence[str]
    billed_characters: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class Usage:
    """What one provider cost in one language: what `tarjama usage` and the run's artifact report."""

    requests: int = 0
    characters: int = 0  # billed characters where the provider reports them, else the characters sent
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: int = 0  # requests that failed (each retry counts)
    segments: int = 0  # sentences this provider drafted

    def add(self, other: Usage) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class UsageByProvider:
    """Usage keyed by provider and target language."""

    items: dict[tuple[str, str], Usage] = field(default_factory=dict)

    def of(self, provider: str, lang: str) -> Usage:
        return self.items.setdefault((provider, lang), Usage())
