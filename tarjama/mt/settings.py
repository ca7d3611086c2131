"""MT settings: the provider chain, limits, and each provider's URL and keys.

Keys and URLs come from the environment (``TARJAMA_LIBRE_URL``,
``TARJAMA_LIBRE_API_KEY``, ...) or from the ``[providers.NAME]`` tables of the
workspace's ``tarjama.toml`` (git-ignored); the environment wins. Secrets are
kept out of ``repr`` so they cannot leak into logs or Prefect parameters.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tarjama.errors import InputError

DEFAULT_CHAIN = ("google", "mymemory")
_SECRET_FIELDS = ("api_key", "appkey")
_FIELDS = ("url", "api_key", "region", "appid", "appkey", "email", "domain", "max_chars")


@dataclass(frozen=True)
class ProviderSettings:
    """Connection details of one provider; secret fields never appear in repr()."""

    name: str
    url: str | None = None
    region: str | None = None
    appid: str | None = None
    email: str | None = None
    domain: str | None = None
    max_chars: int | None = None
    api_key: str | None = field(default=None, repr=False)
    appkey: str | None = field(default=None, repr=False)

    def secrets(self) -> list[str]:
        """The secret values, so that any text shown to people can be scrubbed of them."""
        return [v for v in (self.api_key, self.appkey) if v]


@dataclass(frozen=True)
class MTSettings:
    """How a run translates: which providers in which order, and how patiently."""

    chain: tuple[str, ...] = DEFAULT_CHAIN
    timeout: float = 10.0
    concurrency: int = 4
    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    breaker_threshold: int = 3
    providers: dict[str, ProviderSettings] = field(default_factory=dict)

    def provider(self, name: str) -> ProviderSettings:
        return self.providers.get(name) or ProviderSettings(name=name)


def load_settings(config_file: Path | None, chain: list[str] | None = None,
                  concurrency: int | None = None, environ: dict[str, str] | None = None) -> MTSettings:
    """Merge tarjama.toml, the environment and command-line choices (in rising priority)."""
    environ = dict(os.environ if environ is None else environ)
    table = _read_toml(config_file) if config_file else {}
    mt = table.get("mt", {})
    provider_tables = table.get("providers", {})
    from tarjama.mt.providers import PROVIDERS

    names = set(PROVIDERS) | set(provider_tables)
    providers = {name: _provider(name, provider_tables.get(name, {}), environ) for name in names}
    chosen = tuple(chain or mt.get("providers") or _env_list(environ.get("TARJAMA_PROVIDERS")) or DEFAULT_CHAIN)
    for name in chosen:
        if name not in PROVIDERS:
            raise InputError(f"unknown provider {name!r}; choose from {', '.join(sorted(PROVIDERS))}")
    try:
        return MTSettings(
            chain=chosen,
            timeout=float(environ.get("TARJAMA_MT_TIMEOUT") or mt.get("timeout", 10.0)),
            concurrency=int(concurrency or environ.get("TARJAMA_MT_CONCURRENCY") or mt.get("concurrency", 4)),
            attempts=int(mt.get("attempts", 3)),
            backoff=float(environ.get("TARJAMA_MT_BACKOFF") or mt.get("backoff", 0.5)),
            max_backoff=float(mt.get("max_backoff", 8.0)),
            breaker_threshold=int(mt.get("breaker_threshold", 3)),
            providers=providers,
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"{config_file or 'environment'}: bad [mt] setting ({exc}); use numbers for limits") from None


def _env_list(value: str | None) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def _provider(name: str, table: dict[str, Any], environ: dict[str, str]) -> ProviderSettings:
    values: dict[str, Any] = {}
    for key in _FIELDS:
        env_value = environ.get(f"TARJAMA_{name.upper()}_{key.upper()}")
        value = env_value if env_value else table.get(key)
        if value not in (None, ""):
            values[key] = int(value) if key == "max_chars" else str(value)
    return ProviderSettings(name=name, **values)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: malformed TOML ({exc}); fix the file or remove it") from None
