"""The MT providers tarjama can use: deep-translator's clients one sentence at a time, and DeepL and LLMs
(their official clients) in batches with context.

The demo's placeholder (:mod:`tarjama.mt.placeholder`) is kept in its own
table, apart from the real providers.

deep-translator sends requests without a timeout, each on a new connection;
:func:`install_timeouts` gives every request of its provider modules a timeout
(a hanging provider costs seconds, not forever) and sends it through a
``requests.Session`` of the calling thread, so connections are kept alive (no
new TCP and TLS handshake per sentence). Instances are not thread-safe (Google
mutates its URL parameters per call), so the engine builds one per worker
thread. Each provider's client library is imported when a chain first uses it
(inside its builder): ``deepl`` and ``openai`` cost a run that never calls them
nothing.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from tarjama.errors import InputError
from tarjama.mt.redact import install_log_redaction
from tarjama.mt.settings import MTSettings, ProviderConfig
from tarjama.mt.sources import BatchAnswer, Source

Translate = Callable[[str], Any]
TranslateBatch = Callable[[Sequence[Source]], BatchAnswer]
Plan = Callable[[ProviderConfig, Sequence[Source]], list[list[Source]]]

_MYMEMORY_CODES = {"ar": "ar-SA", "fr": "fr-FR", "en": "en-GB", "es": "es-ES", "de": "de-DE"}
_BAIDU_CODES = {"ar": "ara", "fr": "fra", "en": "en", "es": "spa", "de": "de"}
_timeout = threading.local()


class _RequestsWithTimeout:
    """Stands in for ``requests`` inside deep-translator's provider modules: a timeout, kept-alive connections."""

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", current_timeout())
        return _session().get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", current_timeout())
        return _session().post(url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)


def _session() -> requests.Session:
    """This thread's session (a Session is not safe to share between threads)."""
    session = getattr(_timeout, "session", None)
    if session is None:
        session = _timeout.session = requests.Session()
    return session


def current_timeout() -> float:
    return getattr(_timeout, "seconds", 10.0)


def set_thread_timeout(seconds: float) -> None:
    """The timeout for requests made by this thread (each engine worker sets its own)."""
    _timeout.seconds = seconds


def install_timeouts() -> None:
    """Make every deep-translator provider module send its requests with a timeout,
    and keep their keys out of the HTTP libraries' debug logs."""
    install_log_redaction()
    for provider in PROVIDERS.values():
        if not provider.deep_translator:
            continue
        mod = importlib.import_module(f"deep_translator.{provider.name}")
        if not isinstance(getattr(mod, "requests", None), _RequestsWithTimeout):
            mod.requests = _RequestsWithTimeout()


@dataclass(frozen=True)
class Provider:
    """A provider by name: the longest text it accepts and how to build a client.

    A batch provider (``plan`` set) translates many sources per request: ``plan`` groups them into requests
    and ``build`` returns a :data:`TranslateBatch`; the others get one text per call (:data:`Translate`).
    """

    name: str
    max_chars: int
    build: Callable[[ProviderConfig, str, str, MTSettings], Any]
    required: tuple[str, ...] = ()
    pairs: Callable[[str, str], bool] = lambda source, target: True
    plan: Plan | None = None
    deep_translator: bool = False  # served by deep-translator's module of the same name (given timeouts at start)

    def check_settings(self, settings: ProviderConfig) -> None:
        """Refuse a provider whose URL or keys are missing before any request is made."""
        for key in self.required:
            if not getattr(settings, key):
                raise InputError(f"provider {self.name!r} needs TARJAMA_{self.name.upper()}_{key.upper()} "
                                 f"(or {key} in [{self.name}] of tarjama.toml)")

    def limit(self, settings: ProviderConfig) -> int:
        return settings.max_chars or self.max_chars


def _with_url(client: Any, settings: ProviderConfig) -> Any:
    if settings.url:
        client._base_url = settings.url
    return client


def _google(settings: ProviderConfig, source: str, target: str, _mt: MTSettings) -> Translate:
    from deep_translator import GoogleTranslator

    return _with_url(GoogleTranslator(source=source, target=target), settings).translate


def _mymemory(settings: ProviderConfig, source: str, target: str, _mt: MTSettings) -> Translate:
    from deep_translator import MyMemoryTranslator

    client = MyMemoryTranslator(
        source=_MYMEMORY_CODES.get(source, source), target=_MYMEMORY_CODES.get(target, target), email=settings.email
    )
    return _with_url(client, settings).translate


def _libre(settings: ProviderConfig, source: str, target: str, _mt: MTSettings) -> Translate:
    from deep_translator import LibreTranslator

    url = settings.url if settings.url.endswith("/") else settings.url + "/"
    # deep-translator refuses an empty key even for a keyless server; "-" is ignored there.
    return LibreTranslator(source=source, target=target, api_key=settings.secret("api_key") or "-", custom_url=url).translate


def _microsoft(settings: ProviderConfig, source: str, target: str, _mt: MTSettings) -> Translate:
    from deep_translator import MicrosoftTranslator

    client = MicrosoftTranslator(source=source, target=target, api_key=settings.secret("api_key"), region=settings.region)
    return _with_url(client, settings).translate


def _yandex(settings: ProviderConfig, source: str, target: str, _mt: MTSettings) -> Translate:
    from deep_translator import YandexTranslator

    return YandexTranslator(source=source, target=target, api_key=settings.secret("api_key")).translate


def _baidu(settings: ProviderConfig, source: str, target: str, _mt: MTSettings) -> Translate:
    from deep_translator import BaiduTranslator

    client = BaiduTranslator(
        source=_BAIDU_CODES.get(source, source), target=_BAIDU_CODES.get(target, target),
        appid=settings.appid, appkey=settings.secret("appkey"),
    )
    return _with_url(client, settings).translate


def _qcri(settings: ProviderConfig, source: str, target: str, _mt: MTSettings) -> Translate:
    from deep_translator import QcriTranslator

    client = QcriTranslator(source=source, target=target, api_key=settings.secret("api_key"))
    domain = settings.domain or "general"
    return lambda text: client.translate(text, domain=domain)


def _placeholder(settings: ProviderConfig, source: str, target: str, _mt: MTSettings) -> Translate:
    from tarjama.mt.placeholder import pseudo_translate

    return lambda text: pseudo_translate(text, target)



def _deepl(settings: ProviderConfig, source: str, target: str, mt: MTSettings) -> TranslateBatch:
    from tarjama.mt.deepl_engine import DeepLBatch

    return DeepLBatch(settings, source, target, mt)


def _llm(settings: ProviderConfig, source: str, target: str, mt: MTSettings) -> TranslateBatch:
    from tarjama.mt.llm_engine import LLMBatch

    return LLMBatch(settings, source, target, mt)


def _plan_deepl(settings: ProviderConfig, sources: Sequence[Source]) -> list[list[Source]]:
    from tarjama.mt.deepl_engine import plan_deepl

    return plan_deepl(settings, sources)


def _plan_llm(settings: ProviderConfig, sources: Sequence[Source]) -> list[list[Source]]:
    from tarjama.mt.llm_engine import plan_llm

    return plan_llm(settings, sources)


PROVIDERS: dict[str, Provider] = {
    "google": Provider("google", 4999, _google, deep_translator=True),
    "mymemory": Provider("mymemory", 499, _mymemory, deep_translator=True),
    "libre": Provider("libre", 5000, _libre, required=("url",), deep_translator=True),
    "microsoft": Provider("microsoft", 5000, _microsoft, required=("api_key",), deep_translator=True),
    "yandex": Provider("yandex", 5000, _yandex, required=("api_key",), deep_translator=True),
    "baidu": Provider("baidu", 2000, _baidu, required=("appid", "appkey"), deep_translator=True),
    "qcri": Provider("qcri", 5000, _qcri, required=("api_key",), deep_translator=True,
                     pairs=lambda source, target: (source, target) == ("ar", "en")),
    "deepl": Provider("deepl", 30_000, _deepl, required=("api_key",), plan=_plan_deepl),
    "llm": Provider("llm", 20_000, _llm, required=("url", "model"), plan=_plan_llm),
}

DEMO_PROVIDERS: dict[str, Provider] = {"placeholder": Provider("placeholder", 100_000, _placeholder)}


def all_providers() -> dict[str, Provider]:
    """Every provider name a chain may use: the real ones, then the demo's placeholder."""
    return {**PROVIDERS, **DEMO_PROVIDERS}
