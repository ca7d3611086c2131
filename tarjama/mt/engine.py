"""Translate many segments through an ordered chain of providers, concurrently and safely.

Per text: each provider in turn, with retries (tenacity: exponential backoff
with full jitter) for transient failures; every answer is checked before it is
accepted. Per
run: a provider that keeps failing to connect is skipped from then on (a
circuit breaker), so an offline run ends in seconds. Identical texts are
translated once. Each worker thread has its own deep-translator clients.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from tarjama.errors import InputError
from tarjama.mt.checks import rejection_reason
from tarjama.mt.failures import Failure, classify
from tarjama.mt.providers import Provider, Translate, all_providers, install_timeouts, set_thread_timeout
from tarjama.mt.settings import MTSettings
from tarjama.segment import split_for_limit
from tarjama.textutil import has_letters

COPIED = "copied"  # provider label of a text with no letters: numbers and punctuation are kept as they are
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Translation:
    """The outcome for one source text: a checked translation, or why every provider failed."""

    source: str
    target: str
    text: str | None = None
    provider: str | None = None
    failures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.text is not None

    @property
    def reason(self) -> str:
        return "; ".join(self.failures) or "no provider was tried"


@dataclass
class _Breaker:
    """Per-run provider health: consecutive connection failures and hard refusals."""

    threshold: int
    failures: Counter[str] = field(default_factory=Counter)
    disabled: dict[str, str] = field(default_factory=dict)
    last_reason: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def why_skipped(self, name: str) -> str | None:
        with self.lock:
            if name in self.disabled:
                return self.disabled[name]
            if self.failures[name] >= self.threshold:
                return f"skipped: unreachable in this run ({self.last_reason.get(name, 'connection failed')})"
            return None

    def record(self, name: str, failure: Failure | None) -> None:
        with self.lock:
            if failure is None:
                self.failures[name] = 0
            elif failure.disables:
                self.disabled.setdefault(name, f"skipped: {failure.reason}")
            elif failure.unreachable:
                self.failures[name] += 1
                self.last_reason[name] = failure.reason


class _Transient(Exception):
    """A failure worth another attempt (timeout, connection, 429, 5xx); its text is the reason."""


class _GaveUp(Exception):
    """A failure no retry will mend (key refused, provider skipped); its text is the reason."""


class MTEngine:
    """One engine per run: it owns the breaker, the request counts and the worker pool size."""

    def __init__(self, settings: MTSettings, *, source: str = "ar",
                 sleep: Callable[[float], None] = time.sleep) -> None:
        install_timeouts()
        self.settings = settings
        self.source = source
        known = all_providers()
        unknown = [name for name in settings.chain if name not in known]
        if unknown:
            raise InputError(f"unknown provider {unknown[0]!r}; choose from {', '.join(sorted(known))}")
        self.chain: list[Provider] = [known[name] for name in settings.chain]
        for provider in self.chain:
            provider.check_settings(settings.provider(provider.name))
        if settings.concurrency < 1:
            raise InputError("concurrency must be at least 1")
        self._sleep = sleep
        self._breaker = _Breaker(settings.breaker_threshold)
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self._secrets = [s for p in settings.providers.values() for s in p.secrets()]

    def translate(self, texts: Iterable[str], target: str, on_progress: Progress | None = None) -> dict[str, Translation]:
        """Translations of ``texts`` into ``target``, keyed by source text."""
        results = self.translate_jobs([(text, target) for text in texts], on_progress)
        return {source: result for (source, _), result in results.items()}

    def translate_jobs(self, jobs: Sequence[tuple[str, str]],
                       on_progress: Progress | None = None) -> dict[tuple[str, str], Translation]:
        """Translate (text, target) pairs with one bounded pool; duplicates cost one request."""
        unique = list(dict.fromkeys(jobs))
        done = 0
        progress_lock = threading.Lock()
        results: dict[tuple[str, str], Translation] = {}

        def run(job: tuple[str, str]) -> None:
            nonlocal done
            results[job] = self._translate_one(*job)
            with progress_lock:
                done += 1
                if on_progress:
                    on_progress(done, len(unique))

        if not unique:
            return results
        workers = min(self.settings.concurrency, len(unique))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tarjama-mt",
                                initializer=set_thread_timeout, initargs=(self.settings.timeout,)) as pool:
            list(pool.map(run, unique))
        return results

    def _translate_one(self, text: str, target: str) -> Translation:
        if not has_letters(text):
            return Translation(text, target, text=text, provider=COPIED)
        failures: list[str] = []
        for provider in self.chain:
            if not provider.pairs(self.source, target):
                failures.append(f"{provider.name}: does not translate {self.source}->{target}")
                continue
            answer, reason = self._with_provider(provider, text, target)
            if reason is None:
                return Translation(text, target, text=answer, provider=provider.name)
            failures.append(f"{provider.name}: {self._scrub(reason)}")
        return Translation(text, target, failures=tuple(failures))

    def _with_provider(self, provider: Provider, text: str, target: str) -> tuple[str | None, str | None]:
        skipped = self._breaker.why_skipped(provider.name)
        if skipped:
            return None, skipped
        try:
            client = self._client(provider, target)
        except Exception as exc:  # a client that cannot be built fails like a request
            failure = classify(exc, self.settings.timeout)
            self._breaker.record(provider.name, failure)
            return None, failure.reason
        pieces = split_for_limit(text, provider.limit(self.settings.provider(provider.name)))
        answers = []
        for piece in pieces:
            answer, reason = self._request(provider, client, piece)
            if reason is not None:
                return None, reason
            answers.append(answer)
        return " ".join(answers), None

    def _request(self, provider: Provider, client: Translate, piece: str) -> tuple[str | None, str | None]:
        """One piece through one provider: transient failures are retried with backoff, then given up."""
        attempts = max(1, self.settings.attempts)
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_random_exponential(multiplier=self.settings.backoff, max=self.settings.max_backoff),
            retry=retry_if_exception_type(_Transient), sleep=self._sleep,
        )
        try:
            answer = retrying(self._attempt, provider, client, piece)
        except RetryError as gave_up:
            failure = gave_up.last_attempt.exception()
            tries = f" after {attempts} attempts" if attempts > 1 else ""
            return None, f"{failure}{tries}"
        except _GaveUp as final:
            number = retrying.statistics.get("attempt_number", 1)
            return None, str(final) + (f" after {number} attempts" if number > 1 else "")
        reason = rejection_reason(piece, answer)
        return (None, reason) if reason else (str(answer).strip(), None)

    def _attempt(self, provider: Provider, client: Translate, piece: str) -> Any:
        skipped = self._breaker.why_skipped(provider.name)
        if skipped:
            raise _GaveUp(skipped)
        with self._count_lock:
            self.requests[provider.name] += 1
        try:
            answer = client(piece)
        except Exception as exc:
            failure = classify(exc, self.settings.timeout)
            self._breaker.record(provider.name, failure)
            raise (_Transient if failure.transient else _GaveUp)(failure.reason) from None
        self._breaker.record(provider.name, None)
        return answer

    def _client(self, provider: Provider, target: str) -> Translate:
        clients: dict[tuple[str, str], Any] = self._local.__dict__.setdefault("clients", {})
        key = (provider.name, target)
        if key not in clients:
            clients[key] = provider.build(self.settings.provider(provider.name), self.source, target)
        return clients[key]

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text
