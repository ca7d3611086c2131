"""Turn a provider's exception into a short, secret-free reason and a retry decision.

Exception texts from requests embed the full URL, query string and all; for
LibreTranslate that includes the API key. So reasons are written here from the
exception's type, never copied from its message.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from deep_translator import exceptions as dt

_SERVER_CODES = {message: code for code, message in dt.ServerException.errors.items()}
_TRANSIENT_CODES = {429, 500, 502, 503, 504}
_QUOTA_CODES = {401, 402, 403, 404}


@dataclass(frozen=True)
class Failure:
    """What went wrong with one request and what the engine should do about it."""

    reason: str
    transient: bool = False  # worth retrying with backoff
    unreachable: bool = False  # counts towards skipping the provider for the run
    disables: bool = False  # the provider cannot work in this run at all (key refused, pair unsupported)


def classify(exc: BaseException, timeout: float) -> Failure:
    official = _official_client_failure(exc, timeout)
    if official is not None:
        return official
    if isinstance(exc, requests.exceptions.Timeout):
        return Failure(f"timed out after {timeout:g} s", transient=True, unreachable=True)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return Failure("connection failed", transient=True, unreachable=True)
    if isinstance(exc, dt.TooManyRequests):
        return Failure("rate limited (HTTP 429)", transient=True)
    if isinstance(exc, dt.ServerException):
        code = _SERVER_CODES.get(str(exc.args[0]) if exc.args else "", 0)
        if code == 429:
            return Failure("rate limited (HTTP 429)", transient=True)
        if code in _QUOTA_CODES:
            return Failure(f"refused by the provider (HTTP {code}: key or quota)", disables=True)
        label = f"HTTP {code}" if code else "server error"
        return Failure(f"server error ({label})", transient=code in _TRANSIENT_CODES or code == 0)
    if isinstance(exc, dt.RequestError):
        return Failure("request failed (HTTP error status)", transient=True)
    if isinstance(exc, (dt.AuthorizationException, dt.ApiKeyException)):
        return Failure("API key refused", disables=True)
    if isinstance(exc, (dt.LanguageNotSupportedException, dt.InvalidSourceOrTargetLanguage)):
        return Failure("language pair not supported", disables=True)
    if isinstance(exc, dt.NotValidLength):
        return Failure("text longer than the provider accepts")
    if isinstance(exc, (dt.TranslationNotFound, dt.ElementNotFoundInGetRequest)):
        return Failure("no translation found in the answer")
    if isinstance(exc, (dt.MicrosoftAPIerror, dt.BaiduAPIerror)):
        return Failure("the provider answered with an error")
    if isinstance(exc, ValueError):
        return Failure("unreadable answer")
    return Failure(f"unexpected error ({type(exc).__name__})")


def _official_client_failure(exc: BaseException, timeout: float) -> Failure | None:
    """Failures of the DeepL and OpenAI clients and of LLM answers (imported only when those are in use)."""
    import sys

    llm = sys.modules.get("tarjama.mt.llm_engine")
    if llm is not None and isinstance(exc, llm.UnusableAnswer):
        return Failure(f"unusable answer: {exc}", transient=True)
    deepl = sys.modules.get("deepl")
    if deepl is not None and isinstance(exc, deepl.DeepLException):
        return _deepl_failure(exc, deepl, timeout)
    openai = sys.modules.get("openai")
    if openai is not None and isinstance(exc, openai.OpenAIError):
        return _openai_failure(exc, openai, timeout)
    return None


def _deepl_failure(exc, deepl, timeout: float) -> Failure:
    code = getattr(exc, "http_status_code", None) or 0
    if isinstance(exc, deepl.ConnectionException):
        if "timed out" in str(exc).lower():
            return Failure(f"timed out after {timeout:g} s", transient=True, unreachable=True)
        return Failure("connection failed", transient=True, unreachable=True)
    if isinstance(exc, deepl.QuotaExceededException):
        return Failure("quota for this billing period exceeded (HTTP 456)", disables=True)
    if isinstance(exc, deepl.AuthorizationException):
        return Failure("API key refused (HTTP 403)", disables=True)
    if isinstance(exc, deepl.TooManyRequestsException):
        return Failure("rate limited (HTTP 429)", transient=True)
    if isinstance(exc, deepl.GlossaryNotFoundException):
        return Failure("glossary not found (HTTP 404)", disables=True)
    if code >= 500:
        return Failure(f"server error (HTTP {code})", transient=True)
    if code:
        return Failure(f"request refused (HTTP {code})", disables=code in (401, 404))
    return Failure(f"client error ({type(exc).__name__})")


def _openai_failure(exc, openai, timeout: float) -> Failure:
    if isinstance(exc, openai.APITimeoutError):
        return Failure(f"timed out after {timeout:g} s", transient=True, unreachable=True)
    if isinstance(exc, openai.APIConnectionError):
        return Failure("connection failed", transient=True, unreachable=True)
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        if code == 429:
            return Failure("rate limited (HTTP 429)", transient=True)
        if code in (401, 403):
            return Failure(f"API key refused (HTTP {code})", disables=True)
        if code == 404:
            return Failure("model or URL not found (HTTP 404)", disables=True)
        if code in (408, 409) or code >= 500:
            return Failure(f"server error (HTTP {code})", transient=True)
        return Failure(f"request refused (HTTP {code})")
    if isinstance(exc, openai.APIResponseValidationError):
        return Failure("unreadable answer", transient=True)
    return Failure(f"client error ({type(exc).__name__})")


def retry_after(exc: BaseException) -> float | None:
    """Seconds the service asked to wait before the next attempt (Retry-After), when it said."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
            value = headers.get(name)
            try:
                if value is not None:
                    return float(value) * scale
            except ValueError:
                continue
    import sys

    deepl = sys.modules.get("deepl")
    if deepl is not None and isinstance(exc, deepl.TooManyRequestsException):
        from tarjama.mt.deepl_engine import last_retry_after

        return last_retry_after()
    return None
