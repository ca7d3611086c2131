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

import json
import math
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.concurrency.context import ConcurrencyContext
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


LEASES = "quota-leases"
"""Where each held slot is written down (the workspace's state folder, which every worker shares): a run's worker
that dies cannot release its slots, so the review watcher releases them once the run is rescheduled, instead of
the provider stalling for every other worker until the leases run out."""


@dataclass(frozen=True)
class HeldSlot:
    """A provider slot a run held when it was written down."""

    run_id: str
    lease_id: str
    path: Path


def _leases_dir(state_dir: Path) -> Path:
    return state_dir / LEASES


def held_slots(state_dir: Path) -> list[HeldSlot]:
    """Every slot written down as held, by any run of any worker."""
    try:
        names = os.listdir(_leases_dir(state_dir))
    except OSError:
        return []
    held = []
    for name in names:
        run_id, sep, lease_id = name.partition("--")
        if sep and not name.startswith("."):
            held.append(HeldSlot(run_id, lease_id, _leases_dir(state_dir) / name))
    return held


def release_earlier_slots(state_dir: Path | None, run_id: str) -> int:
    """A run that starts again (its worker died) gives back the slots its earlier process still holds on record,
    if the review watcher has not: its requests are this process's now. How many were given back."""
    here = {"host": socket.gethostname(), "pid": os.getpid()}
    earlier = []
    for slot in held_slots(state_dir) if state_dir else []:
        if slot.run_id != run_id:
            continue
        try:
            holder = json.loads(slot.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            holder = {}
        if holder != here:
            earlier.append(slot)
    if earlier:
        with get_client(sync_client=True) as client:
            for slot in earlier:
                client.release_concurrency_slots_with_lease(slot.lease_id)
                slot.path.unlink(missing_ok=True)
    return len(earlier)


@contextmanager
def _written_down(state_dir: Path | None, run_id: str, lease_id: str | None) -> Iterator[None]:
    """A record of the held slot for as long as it is held (a hint: one lost costs only the lease's wait)."""
    path = _leases_dir(state_dir) / f"{run_id}--{lease_id}" if state_dir and run_id and lease_id else None
    if path is not None:
        with suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid()}), encoding="utf-8")
    try:
        yield
    finally:
        if path is not None:
            with suppress(OSError):
                path.unlink()


def quota_slot(settings: MTSettings, run_id: str = "") -> ProviderSlot:
    """What the MT engine holds around each request: the provider's limits, when it has a quota. Each slot held is
    written down under the run's id (see :data:`LEASES`)."""
    limited = quotas(settings)
    # never more of this engine's threads asking the server for a slot than the quota has: Prefect answers a full
    # limit with a Retry-After that grows with the number of refused askers, so a run's surplus threads would only
    # lengthen every worker's wait (measured in the topology test: 32 askers for 2 slots)
    askers = {name: threading.BoundedSemaphore(config.max_in_flight) for name, config in limited.items()
              if config.max_in_flight is not None}

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
        with askers[provider], ConcurrencyContext() as granted, concurrency(  # the context sees the lease's id
                in_flight_limit(provider), timeout_seconds=SLOT_WAIT_SECONDS, lease_duration=SLOT_LEASE_SECONDS,
                strict=True):
            lease = str(granted.cleanup_lease_ids[-1]) if granted.cleanup_lease_ids else None
            with _written_down(settings.state_dir, run_id, lease):
                yield

    return slot
