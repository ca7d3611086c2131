"""Translate many segments through an ordered chain of providers, concurrently and safely.

Each provider of the chain in turn gets the sentences still without a
translation: one per request for deep-translator's providers, in batches with
their context for DeepL and LLMs. Transient failures are retried (tenacity:
exponential backoff with full jitter, or the service's Retry-After); the
clients' own retries are off, so this is the only retry layer. Every answer is
checked before it is accepted. A provider that keeps failing to connect is
skipped for the rest of the run (a circuit breaker), so an offline run ends in
seconds. Identical texts are translated once. Each worker thread has its own
clients. What each provider cost is counted per language (:attr:`MTEngine.usage`).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from tarjama.errors import InputError
from tarjama.mt.checks import rejection_reason
from tarjama.mt.failures import Failure, classify, retry_after
from tarjama.mt.providers import Provider, all_providers, install_timeouts, set_thread_timeout
from tarjama.mt.settings import MTSettings
from tarjama.mt.sources import BatchAnswer, Source, UsageByProvider
from tarjama.segment import split_for_limit
from tarjama.textutil import has_letters, strip_controls

COPIED = "copied"  # provider label of a text with no letters: numbers and punctuation are kept as they are
LONGEST_RETRY_AFTER = 30.0  # a service that asks for a longer pause is given up on for this run's sentences
Progress = Callable[[int, int], None]
Attempt = tuple[Source, str | None, str | None]  # a source, its checked translation or why there is none
ProviderSlot = Callable[[str], AbstractContextManager[object]]
"""Held around each request to a provider: the orchestration layer's quota shared across workers."""


@dataclass(frozen=True)
class Translation:
    """The outcome for one source text: a checked translation, or why every provider failed."""

    source: str
    target: str
    text: str | None = None
    provider: str | None = None
    failures: tuple[str, ...] = ()
    alternatives: tuple[tuple[str, str], ...] = ()  # (provider, text) from the engines asked for suggestions

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
    """A failure worth another attempt (timeout, connection, 429, 5xx, an unusable LLM answer); its text is the
    reason, ``wait`` the pause the service asked for."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class _GaveUp(Exception):
    """A failure no retry will mend (key refused, provider skipped); its text is the reason."""


class MTEngine:
    """One engine per run: it owns the breaker, the usage counts and the worker pool size."""

    def __init__(self, settings: MTSettings, *, source: str = "ar",
                 sleep: Callable[[float], None] = time.sleep, slot: ProviderSlot | None = None) -> None:
        install_timeouts()
        self.settings = settings
        self.source = source
        known = all_providers()
        unknown = [name for name in (*settings.chain, *settings.suggest_from) if name not in known]
        if unknown:
            raise InputError(f"unknown provider {unknown[0]!r}; choose from {', '.join(sorted(known))}")
        self.chain: list[Provider] = [known[name] for name in settings.chain]
        self.suggesters: list[Provider] = [known[name] for name in settings.suggest_from]
        for provider in (*self.chain, *self.suggesters):
            provider.check_settings(settings.provider(provider.name))
        if settings.concurrency < 1:
            raise InputError("concurrency must be at least 1")
        self._sleep = sleep
        self._slot = slot or (lambda name: nullcontext())
        self._breaker = _Breaker(settings.breaker_threshold)
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.usage = UsageByProvider()
        self.attempt = uuid.uuid4().hex[:16]
        """This engine's requests in the usage record: a run that starts again (a new process) is another attempt."""
        self.on_request: Callable[[str, str], None] | None = None
        """Told (provider, target) as each request is counted and before it is sent: the usage checkpoint."""
        self._secrets = [s for p in settings.providers.values() for s in p.secrets()]

    def translate(self, texts: Iterable[str | Source], target: str,
                  on_progress: Progress | None = None) -> dict[str, Translation]:
        """Translations of ``texts`` (plain, or sources with their context) into ``target``, keyed by source text."""
        sources = [t if isinstance(t, Source) else Source(t, target) for t in texts]
        results = self.translate_sources(sources, on_progress)
        return {text: result for (text, _), result in results.items()}

    def translate_jobs(self, jobs: Sequence[tuple[str, str] | Source],
                       on_progress: Progress | None = None) -> dict[tuple[str, str], Translation]:
        """Translate (text, target) pairs or sources with one bounded pool; duplicates cost one request."""
        return self.translate_sources([j if isinstance(j, Source) else Source(*j) for j in jobs], on_progress)

    def translate_sources(self, sources: Sequence[Source],
                          on_progress: Progress | None = None) -> dict[tuple[str, str], Translation]:
        """Every source through the chain, provider by provider; keyed by (text, target)."""
        first: dict[tuple[str, str], Source] = {}
        for src in sources:
            first.setdefault(src.key, src)  # the first occurrence's context goes with the text
        unique = list(first.values())
        results: dict[tuple[str, str], Translation] = {}
        failures: dict[tuple[str, str], list[str]] = {s.key: [] for s in unique}
        progress = _Progress(len(unique), on_progress)
        pending = []
        for src in unique:
            if has_letters(src.text):
                pending.append(src)
            else:
                results[src.key] = Translation(src.text, src.target, text=src.text, provider=COPIED)
                progress.tick()
        if not unique:
            return results
        workers = min(self.settings.concurrency, len(unique))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tarjama-mt") as pool:
            for provider in self.chain:
                able = []
                for src in pending:
                    if provider.pairs(self.source, src.target):
                        able.append(src)
                    else:
                        failures[src.key].append(f"{provider.name}: does not translate {self.source}->{src.target}")
                for src, text, reason in self._run(pool, provider, able, progress):
                    if text is not None:  # earlier providers' failures stay on record: why this one drafted it
                        results[src.key] = Translation(src.text, src.target, text=text, provider=provider.name,
                                                       failures=tuple(failures[src.key]))
                    else:
                        failures[src.key].append(f"{provider.name}: {self._scrub(reason or '')}")
                pending = [src for src in pending if src.key not in results]
            for src in pending:
                results[src.key] = Translation(src.text, src.target, failures=tuple(failures[src.key]))
                progress.tick()
            for provider in self.suggesters:
                self._suggest(pool, provider, unique, results)
        return results

    def _suggest(self, pool: ThreadPoolExecutor, provider: Provider, sources: Sequence[Source],
                 results: dict[tuple[str, str], Translation]) -> None:
        """Keep ``provider``'s outputs beside the drafts, for reviewers to compare; its failures cost nothing else."""
        wanted = [s for s in sources if has_letters(s.text) and results[s.key].provider != provider.name
                  and provider.pairs(self.source, s.target)]
        for src, text, _reason in self._run(pool, provider, wanted, None):
            if text is not None:
                result = results[src.key]
                results[src.key] = replace(result, alternatives=(*result.alternatives, (provider.name, text)))

    def _run(self, pool: ThreadPoolExecutor, provider: Provider, sources: Sequence[Source],
             progress: _Progress | None) -> list[Attempt]:
        """``sources`` through one provider: in its batches when it takes them, else one request per text."""
        if not sources:
            return []

        def counted(outcomes: list[Attempt]) -> list[Attempt]:
            """Drafts count as they arrive (suggestions, without progress, are not drafts)."""
            if progress is not None:
                for src, text, _ in outcomes:
                    if text is not None:
                        with self._count_lock:
                            self.usage.of(provider.name, src.target).segments += 1
                        progress.tick()
            return outcomes

        if provider.plan is not None:
            batches = provider.plan(self.settings.provider(provider.name), sources)
            done = pool.map(lambda batch: counted(self._with_batch(provider, batch)), batches)
            return [outcome for outcomes in done for outcome in outcomes]
        return [o for outcomes in pool.map(lambda src: counted([self._with_provider(provider, src)]), sources)
                for o in outcomes]

    def _with_provider(self, provider: Provider, src: Source) -> Attempt:
        skipped = self._breaker.why_skipped(provider.name)
        if skipped:
            return src, None, skipped
        set_thread_timeout(self.settings.timeout_for(provider.name))
        client, reason = self._client(provider, src.target)
        if reason is not None:
            return src, None, reason
        answers = []
        for piece in split_for_limit(src.text, provider.limit(self.settings.provider(provider.name))):
            answer, reason = self._request(provider, client, piece, src.target)
            answer = strip_controls(answer) if isinstance(answer, str) else answer
            if reason is None:
                reason = rejection_reason(piece, answer, src.target)
            if reason is not None:
                return src, None, reason
            answers.append(str(answer).strip())
        return src, " ".join(answers), None

    def _with_batch(self, provider: Provider, batch: Sequence[Source]) -> list[Attempt]:
        skipped = self._breaker.why_skipped(provider.name)
        client, reason = (None, skipped) if skipped else self._client(provider, batch[0].target)
        if reason is None:
            answer, reason = self._request(provider, client, batch, batch[0].target)
        if reason is not None:
            return [(src, None, reason) for src in batch]
        outcomes: list[Attempt] = []
        for src, text in zip(batch, answer.texts, strict=True):
            text = strip_controls(text) if isinstance(text, str) else text
            rejected = rejection_reason(src.text, text, src.target)
            outcomes.append((src, None, rejected) if rejected else (src, text.strip(), None))
        return outcomes

    def _request(self, provider: Provider, client: Any, payload: Any, target: str) -> tuple[Any, str | None]:
        """One payload (a text, or a batch) through one provider: transient failures retried, then given up."""
        attempts = max(1, self.settings.attempts)
        backoff = wait_random_exponential(multiplier=self.settings.backoff, max=self.settings.max_backoff)

        def wait(state: Any) -> float:
            asked = getattr(state.outcome.exception(), "wait", None)
            return asked if asked is not None else backoff(state)

        retrying = Retrying(stop=stop_after_attempt(attempts), wait=wait,
                            retry=retry_if_exception_type(_Transient), sleep=self._sleep)
        try:
            return retrying(self._attempt, provider, client, payload, target), None
        except RetryError as gave_up:
            failure = gave_up.last_attempt.exception()
            tries = f" after {attempts} attempts" if attempts > 1 else ""
            return None, f"{failure}{tries}"
        except _GaveUp as final:
            number = retrying.statistics.get("attempt_number", 1)
            return None, str(final) + (f" after {number} attempts" if number > 1 else "")

    def _attempt(self, provider: Provider, client: Any, payload: Any, target: str) -> Any:
        skipped = self._breaker.why_skipped(provider.name)
        if skipped:
            raise _GaveUp(skipped)
        usage = self.usage.of(provider.name, target)
        with self._count_lock:
            self.requests[provider.name] += 1
            usage.requests += 1
        if self.on_request is not None:
            self.on_request(provider.name, target)
        try:
            with self._slot(provider.name):  # a provider quota shared with other workers, if one is set
                answer = client(payload)
        except Exception as exc:
            failure = classify(exc, self.settings.timeout_for(provider.name))
            self._breaker.record(provider.name, failure)
            cost = getattr(exc, "cost", None)
            with self._count_lock:
                usage.failures += 1
                if isinstance(cost, BatchAnswer):
                    usage.prompt_tokens += cost.prompt_tokens
                    usage.completion_tokens += cost.completion_tokens
            if not failure.transient:
                raise _GaveUp(failure.reason) from None
            asked = retry_after(exc)
            if asked is not None and asked > LONGEST_RETRY_AFTER:
                raise _GaveUp(f"{failure.reason}; the service asks to wait {asked:g} s") from None
            raise _Transient(failure.reason, asked) from None
        self._breaker.record(provider.name, None)
        with self._count_lock:
            if isinstance(answer, BatchAnswer):
                usage.characters += answer.billed_characters or sum(len(s.text) for s in payload)
                usage.prompt_tokens += answer.prompt_tokens
                usage.completion_tokens += answer.completion_tokens
            else:
                usage.characters += len(payload)
        return answer

    def _client(self, provider: Provider, target: str) -> tuple[Any, str | None]:
        """This thread's client of ``provider`` for ``target``; a client that cannot be built fails like a request."""
        clients: dict[tuple[str, str], Any] = self._local.__dict__.setdefault("clients", {})
        key = (provider.name, target)
        if key not in clients:
            try:
                clients[key] = provider.build(self.settings.provider(provider.name), self.source, target, self.settings)
            except Exception as exc:
                failure = classify(exc, self.settings.timeout_for(provider.name))
                self._breaker.record(provider.name, failure)
                return None, failure.reason
        return clients[key], None

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


class _Progress:
    """Counts finished sources from any worker thread and reports them."""

    def __init__(self, total: int, report: Progress | None) -> None:
        self.total, self.done, self.report = total, 0, report
        self.lock = threading.Lock()

    def tick(self) -> None:
        with self.lock:
            self.done += 1
            if self.report:
                self.report(self.done, self.total)
