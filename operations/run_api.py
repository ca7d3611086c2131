"""A flow run's state and its resumption over Prefect's REST API, without importing Prefect.

A reviewer's command needs two things of the server: is the item's run still
live, and wake it with the decision's id. Prefect's client costs 3 s of
imports before its first request here; the same two calls over httpx cost
milliseconds, so ``tarjama approve`` can return as soon as the run has
recorded the outcome. Only these calls are written out (Prefect's client
does everything else): the routes and the CSRF handshake are Prefect's own
(``prefect.client.base.PrefectHttpxAsyncClient``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from operations.prefect_env import api_headers, api_url
from tarjama.errors import TarjamaError

LIVE = frozenset({"SCHEDULED", "PENDING", "RUNNING", "PAUSED"})
"""State types of a run that can still take a decision (Prefect's ``StateType`` values)."""


@dataclass(frozen=True)
class RunState:
    type: str
    name: str
    message: str

    @property
    def live(self) -> bool:
        return self.type in LIVE

    @property
    def paused(self) -> bool:
        return self.type == "PAUSED"


class RunApi:
    """The two questions, on one connection (``$PREFECT_API_URL``, with its credentials)."""

    def __init__(self, url: str | None = None, timeout: float = 10.0) -> None:
        self._client = httpx.Client(base_url=(url or api_url()).rstrip("/") + "/", timeout=timeout,
                                    headers=api_headers())
        self._csrf_client = str(uuid.uuid4())
        self._csrf_token: str | None = None
        self._csrf_needed = True

    def __enter__(self) -> RunApi:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._client.close()

    def state(self, run_id: str) -> RunState | None:
        """The run's current state; None when the server does not know the run."""
        response = self._send("GET", f"flow_runs/{run_id}")
        if response.status_code in (404, 422):  # unknown id, or not a UUID
            return None
        self._raise_for(response)
        state = response.json().get("state") or {}
        return RunState(state.get("type", ""), state.get("name", ""), state.get("message") or "")

    def resume(self, run_id: str, run_input: dict[str, Any]) -> bool:
        """Resume a paused run with ``run_input`` (the server checks it against the run's form); False when the
        server refuses (the run is not paused, or no longer waits for this form)."""
        response = self._send("POST", f"flow_runs/{run_id}/resume", json={"run_input": run_input},
                              headers=self._csrf_headers())
        if response.status_code == 403 and self._csrf_needed:  # token expired: one new handshake
            self._csrf_token = None
            response = self._send("POST", f"flow_runs/{run_id}/resume", json={"run_input": run_input},
                                  headers=self._csrf_headers())
        if response.status_code >= 400:
            return False
        return (response.json() or {}).get("status") == "ACCEPT"

    def _csrf_headers(self) -> dict[str, str]:
        """Prefect's CSRF handshake, as its client does it: a token per client id, skipped where the server
        has CSRF protection off (it answers 422) or predates it (404)."""
        if not self._csrf_needed:
            return {}
        if self._csrf_token is None:
            response = self._send("GET", "csrf-token", params={"client": self._csrf_client})
            if response.status_code in (404, 422):
                self._csrf_needed = False
                return {}
            self._raise_for(response)
            self._csrf_token = response.json()["token"]
        return {"Prefect-Csrf-Token": self._csrf_token or "", "Prefect-Csrf-Client": self._csrf_client}

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return self._client.request(method, path, **options)
        except httpx.HTTPError as error:
            raise TarjamaError(f"the Prefect server at {self._client.base_url} stopped answering ({error}); "
                               "a decision already recorded is delivered when the run is woken again") from None

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code == 401:
            raise TarjamaError(f"the Prefect server at {self._client.base_url} asks for credentials: "
                               "set PREFECT_API_AUTH_STRING")
        if response.status_code >= 400:
            raise TarjamaError(f"the Prefect server at {self._client.base_url} answered {response.status_code} "
                               f"to {response.request.method} {response.request.url.path}")
