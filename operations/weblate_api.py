"""Weblate's REST API, as tarjama uses it: the project and its component discovery, repository operations,
each language's statistics and who approved it.

Plain httpx rather than Weblate's own client (``wlc``): tarjama needs six endpoints, and ``wlc`` would bring
its own retry and configuration-file rules beside tarjama's. The token is sent only in the Authorization
header and never appears in a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tarjama.errors import TarjamaError
from tarjama.settings import WeblateSettings

TIMEOUT = httpx.Timeout(120.0, connect=5.0)  # Weblate runs its tasks in the request (the recipe): a pull can take a while
APPROVED = 36  # ActionEvents.APPROVE: "Translation approved"


class WeblateError(TarjamaError):
    """Weblate refused, or could not be reached: one line naming the request and what to do."""


@dataclass(frozen=True)
class LanguageStats:
    """One language of one component, as Weblate counts its strings."""

    component: str
    lang: str
    total: int
    translated: int
    approved: int
    fuzzy: int

    @property
    def all_approved(self) -> bool:
        return self.total > 0 and self.approved == self.total


class WeblateApi:
    """A client for one Weblate (``[weblate]`` settings); use it as a context manager."""

    def __init__(self, settings: WeblateSettings) -> None:
        if not settings.url or settings.token is None:
            raise WeblateError("Weblate is not configured: set TARJAMA_WEBLATE_URL and TARJAMA_WEBLATE_TOKEN "
                               "(scripts/weblate/up prints both)")
        self.base = settings.url.rstrip("/")
        self.project = settings.project
        self._http = httpx.Client(base_url=f"{self.base}/api/", timeout=TIMEOUT, headers={
            "Authorization": f"Token {settings.token.get_secret_value()}", "Accept": "application/json"})

    def __enter__(self) -> WeblateApi:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise WeblateError(f"Weblate at {self.base} did not answer {method} {path} ({type(exc).__name__}); "
                               "is it running? (scripts/weblate/up)") from None
        if response.status_code in (401, 403):
            raise WeblateError(f"Weblate refused tarjama's token for {method} {path} ({response.status_code}): "
                               "check TARJAMA_WEBLATE_TOKEN")
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise WeblateError(f"Weblate answered {method} {path} with {response.status_code}: "
                               f"{response.text[:300]}")
        return response.json() if response.content else {}

    def _pages(self, path: str) -> list[dict]:
        results, page = [], 1
        while True:
            body = self._call("GET", path, params={"page": page}) or {}
            results += body.get("results", [])
            if not body.get("next"):
                return results
            page += 1

    # the project and its components
    def get_project(self) -> dict | None:
        return self._call("GET", f"projects/{self.project}/")

    def create_project(self, web: str) -> dict:
        return self._call("POST", "projects/", json={"name": self.project, "slug": self.project, "web": web,
                                                     "translation_review": True,
                                                     # Weblate writes its own Language-Team header otherwise
                                                     "set_language_team": False})

    def components(self) -> list[dict]:
        return [c for c in self._pages(f"projects/{self.project}/components/") if not c.get("is_glossary")]

    def create_component(self, fields: dict[str, Any]) -> dict:
        return self._call("POST", f"projects/{self.project}/components/", json=fields)

    def addons(self, component: str) -> list[dict]:
        found = self._call("GET", f"components/{self.project}/{component}/") or {}
        return [self._call("GET", self._path(url)) or {} for url in found.get("addons", [])]

    def add_addon(self, component: str, name: str, configuration: dict[str, Any]) -> dict:
        return self._call("POST", f"components/{self.project}/{component}/addons/",
                          json={"name": name, "configuration": configuration})

    def repository(self, operation: str) -> bool:
        """Run a repository operation (commit, push, pull) on every component of the project."""
        body = self._call("POST", f"projects/{self.project}/repository/", json={"operation": operation})
        return bool(body and body.get("result"))

    # each language's state
    def language_stats(self, component: str, lang: str) -> LanguageStats | None:
        """How Weblate counts one language's strings; None when the component has no such language."""
        counts = self._call("GET", f"translations/{self.project}/{component}/{lang}/statistics/")
        if counts is None:
            return None
        return LanguageStats(component, lang, counts.get("total", 0), counts.get("translated", 0),
                             counts.get("approved", 0), counts.get("fuzzy", 0))

    def approver(self, component: str, lang: str) -> str | None:
        """The Weblate account that approved the language's latest string (its changes, newest first)."""
        changes = self._call("GET", f"translations/{self.project}/{component}/{lang}/changes/",
                             params={"action": APPROVED}) or {}
        approvals = [c for c in changes.get("results", []) if c.get("action") == APPROVED and c.get("user")]
        if not approvals:
            return None
        return self.username(max(approvals, key=lambda c: c.get("timestamp", ""))["user"])

    @staticmethod
    def _path(url: str) -> str:
        """An API address Weblate gave (under its SITE_URL, maybe another host name) as a path under /api/."""
        return url.split("/api/", 1)[-1]

    def username(self, user_url: str) -> str:
        body = self._call("GET", self._path(user_url)) or {}
        return body.get("username") or user_url.rstrip("/").rsplit("/", 1)[-1]
