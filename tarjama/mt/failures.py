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
