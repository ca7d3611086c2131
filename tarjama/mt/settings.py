"""What the MT engine runs with: the provider chain, limits, and each provider's connection details.

:class:`ProviderConfig` is the one description of a provider's connection,
read from tarjama.toml and the environment by :mod:`tarjama.settings` and used
as it is by the engine. Keys are ``SecretStr``: never in a repr, a log line or
a Prefect parameter; :meth:`ProviderConfig.secret` reveals one only where a
client is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from tarjama.glossary import Glossary

DEFAULT_LLM_STYLE = (
    "Translate as a news agency's desk editor would: faithful, neutral and concise; keep every number, date "
    "and name exactly; write numbers as digits; render names of people, places and institutions as the "
    "target language's press does; no notes, no explanations."
)


class ProviderConfig(BaseModel):
    """Connection details of one provider (``[libre]``, ``[microsoft]``, ...); unused fields stay empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    api_key: SecretStr | None = None
    region: str | None = None
    appid: str | None = None
    appkey: SecretStr | None = None
    email: str | None = None
    domain: str | None = None
    max_chars: int | None = Field(None, ge=1)
    timeout: float | None = Field(None, gt=0, description="seconds per request, instead of [mt] timeout")
    # the account's quota, held across every worker through Prefect global concurrency limits (tarjama deploy)
    max_in_flight: int | None = Field(None, ge=1, description="requests in flight at once, all workers together")
    per_second: float | None = Field(None, gt=0, description="requests per second, all workers together")

    @property
    def has_quota(self) -> bool:
        return self.max_in_flight is not None or self.per_second is not None

    def secret(self, name: str) -> str | None:
        value = getattr(self, name)
        return value.get_secret_value() if value else None

    def secrets(self) -> list[str]:
        """The secret values, so that any text shown to people can be scrubbed of them."""
        return [v for v in (self.secret("api_key"), self.secret("appkey")) if v]


class DeepLConfig(ProviderConfig):
    """``[deepl]``: the DeepL API through its official client."""

    english: Literal["EN-GB", "EN-US"] = Field("EN-GB", description="the English DeepL writes")
    formality: Literal["default", "more", "less", "prefer_more", "prefer_less"] = Field(
        "default", description="French (and other non-English targets): vous/tu register")
    batch_texts: int = Field(50, ge=1, le=50, description="sentences per request (DeepL takes at most 50)")
    batch_bytes: int = Field(100_000, ge=1_000, le=120_000,
                             description="request body size per batch, context included (DeepL takes 128 KiB)")


class LLMConfig(ProviderConfig):
    """``[llm]``: any OpenAI-compatible Chat Completions endpoint through the official ``openai`` client."""

    model: str | None = Field(None, description="the endpoint's model name, e.g. gpt-4o-mini, mistral-large-latest")
    style: str = Field(DEFAULT_LLM_STYLE, max_length=4000, description="the newsroom's instructions to the model")
    json_mode: Literal["json_schema", "json_object", "off"] = Field(
        "json_object", description="how the endpoint is told to answer JSON (json_schema where it supports it)")
    max_sentences: int = Field(40, ge=1, le=200, description="sentences per request (a paragraph is one request)")


DEFAULT_CHAIN = ("google", "mymemory")  # free, keyless: what a fresh install translates with


class Limits(BaseModel):
    """How patiently a run translates: the numbers of ``[mt]``, with their one set of defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: float = Field(10.0, gt=0, description="seconds per request")
    concurrency: int = Field(4, ge=1, le=64, description="segments translated at once per language")
    attempts: int = Field(3, ge=1, le=10, description="tries per provider for transient failures")
    backoff: float = Field(0.5, ge=0, description="first retry delay in seconds, doubled each time, with jitter")
    max_backoff: float = Field(8.0, ge=0, description="longest retry delay in seconds")
    breaker_threshold: int = Field(3, ge=1, description="connection failures after which a provider is skipped")

    def values(self) -> dict[str, float | int]:
        return {name: getattr(self, name) for name in Limits.model_fields}


_DEFAULT = Limits()


@dataclass(frozen=True)
class MTSettings:
    """How a run translates: which providers in which order, and how patiently."""

    chain: tuple[str, ...] = DEFAULT_CHAIN
    timeout: float = _DEFAULT.timeout
    concurrency: int = _DEFAULT.concurrency
    attempts: int = _DEFAULT.attempts
    backoff: float = _DEFAULT.backoff
    max_backoff: float = _DEFAULT.max_backoff
    breaker_threshold: int = _DEFAULT.breaker_threshold
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    suggest_from: tuple[str, ...] = ()  # engines whose outputs are kept as alternatives besides the chain's draft
    glossary: Glossary | None = None  # the workspace's glossary.csv, for engines that apply one
    state_dir: Path | None = None  # where engines keep what they created remotely (DeepL glossary ids)

    def provider(self, name: str) -> ProviderConfig:
        return self.providers.get(name) or ProviderConfig()

    def timeout_for(self, name: str) -> float:
        return self.provider(name).timeout or self.timeout
