"""A chat's incoming-webhook URL, checked before anything talks to Prefect (and never echoed: it is a secret)."""

from __future__ import annotations

from urllib.parse import urlsplit

from tarjama.errors import InputError


def check_webhook(url: str) -> str:
    """An http(s) URL with a host, or one line saying what is wrong (without echoing the secret)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("--webhook must be an http:// or https:// URL (the incoming webhook your chat gives you)")
    return url.strip()
