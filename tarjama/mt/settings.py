"""What the MT engine runs with: the provider chain, limits, and each provider's connection details.

:class:`ProviderConfig` is the one description of a provider's connection,
read from tarjama.toml and the environment by :mod:`tarjama.settings` and used
as it is by the engine. Keys are ``SecretStr``: never in a repr, a log line or
a Prefect parameter; :meth:`ProviderConfig.secret` reveals one only where a
client is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, SecretStr


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

    def secret(self, name: str) -> str | None:
        value = getattr(self, name)
        return value.get_secret_value() if value else None

    def secrets(self) -> list[str]:
        """The secret values, so that any text shown to people can be scrubbed of them."""
        return [v for v in (self.secret("api_key"), self.secret("appkey")) if v]


@dataclass(frozen=True)
class MTSettings:
    """How a run translates: which providers in which order, and how patiently."""

    chain: tuple[str, ...] = ("google", "mymemory")
    timeout: float = 10.0
    concurrency: int = 4
    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    breaker_threshold: int = 3
    providers: dict[str, ProviderConfig] = field(default_factory=dict)

    def provider(self, name: str) -> ProviderConfig:
        return self.providers.get(name) or ProviderConfig()
