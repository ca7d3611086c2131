"""Provider quotas held across every worker: one Prefect global concurrency limit per quota.

A newsroom's DeepL or LLM account allows so many requests in flight, or per
second, whatever number of workers draft at once. ``[deepl] max_in_flight``
becomes the limit ``tarjama-mt-deepl`` (a slot held for each request);
``[deepl] per_second`` becomes ``tarjama-mt-deepl-rate`` (slots that decay at
that rate: Prefect's rate limit). The Prefect server counts the slots, so the
quota holds across machines. ``tarjama deploy`` creates or updates the limits
(idempotently); each drafting task does too before its first request, so a
quota set in ``tarjama.toml`` never goes unenforced for want of a command.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency, rate_limit

from tarjama.mt.engine import ProviderSlot
from tarjama.mt.settings import MTSettings, ProviderConfig

SLOT_WAIT_SECONDS = 600.0  # a request waits this long for its slot, then fails like a timeout (and is retried)
SLOT_LEASE_SECONDS = 60.0
"""How long a request's slot outlives its holder: Prefect renews the lease while the request runs and takes the
slot back this long after a holder died (the server's shortest lease; its default, 300 s, left a dead worker's
slots taken for five minutes, stalling the provider for every other worker)."""


def in_flight_limit(provider: str) -> str:
    return f"tarjama-mt-{provider}"


def rate_limit_name(provider: str) -> str:
    return f"tarjama-mt-{provider}-rate"


def quotas(settings: MTSettings, providers: list[str] | tuple[str, ...] | None = None) -> dict[str, ProviderConfig]:
    """The providers (of ``providers``, or all) that have a quota set."""
    names = providers if providers is not None else list(settings.providers)
    return {name: settings.provider(name) for name in names if settings.provider(name).has_quota}


def ensure_quota_limits(settings: MTSettings, providers: list[str] | tuple[str, ...] | None = None) -> list[str]:
    """Create or update the limits of the configured quotas; one line per limit, saying what it holds."""
    lines = []
    with get_client(sync_client=True) as client:
        for name, config in quotas(settings, providers).items():
            if config.max_in_flight is not None:
                client.upsert_global_concurrency_limit_by_name(in_flight_limit(name), config.max_in_flight)
                lines.append(f"{in_flight_limit(name)}: {config.max_in_flight} request(s) in flight")
            if config.per_second is not None:
                slots = max(1, math.ceil(config.per_second))
                client.upsert_global_concurrency_limit_by_name(rate_limit_name(name), slots, config.per_second)
                lines.append(f"{rate_limit_name(name)}: {config.per_second:g} request(s) per second")
    return lines


def quota_slot(settings: MTSettings) -> ProviderSlot:
    """What the MT engine holds around each request: the provider's limits, when it has a quota."""
    limited = quotas(settings)

    @contextmanager
    def slot(provider: str) -> Iterator[None]:
        config = limited.get(provider)
        if config is None:
            yield
            return
        if config.per_second is not None:
            rate_limit(rate_limit_name(provider), timeout_seconds=SLOT_WAIT_SECONDS, strict=True)
        if config.max_in_flight is None:
            yield
            return
        with concurrency(in_flight_limit(provider), timeout_seconds=SLOT_WAIT_SECONDS, lease_duration=SLOT_LEASE_SECONDS,
                         strict=True):
            yield

    return slot
