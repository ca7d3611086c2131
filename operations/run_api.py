"""Flow runs over Prefect's REST API, without importing Prefect.

A reviewer's or an editor's command needs a few things of the server: is the
item's run still live, wake it with the decision's id, start a run of the
deployment, find an item's runs and watch them settle. Prefect's client costs
3 s of imports before its first request here; the same calls over httpx cost
milliseconds, so ``tarjama approve`` returns as soon as the run has recorded
the outcome and ``tarjama translate`` hands items over at once. Only these
calls are written out (Prefect's client does everything else): the routes and
the CSRF handshake are Prefect's own (``prefect.client.base.PrefectHttpxAsyncClient``).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from operations.prefect_env import api_headers, api_url
from tarjama.errors import TarjamaError

RETRIES = 8
"""A busy server's answers tried again (Prefect's client tries 5 times after 2, 4, 8, 16 and 30 s). A Prefect
server on SQLite answers 503 the moment two writes conflict, so the first tries come soon after: a burst's run
creations waited out 15.5 s of back-off for a lock held a few milliseconds (bench_workers)."""
BUSY = frozenset({408, 429, 502, 503})  # what Prefect's client tries again: a busy server (SQLite locked: 503)
TRANSIENT = (httpx.ReadTimeout, httpx.PoolTimeout, httpx.ConnectTimeout, httpx.ReadError, httpx.WriteError,
             httpx.RemoteProtocolError, httpx.LocalProtocolError)
LONGEST_WAIT = 30.0
BULK_LIMIT = 100  # runs per request on Prefect's create_flow_run/bulk route (its own limit)
REFUSED_BULK = 10  # runs per request when a bulk was refused for a conflicting write (RunApi.create_runs)
BULK_TRIES = 6
LOCKED = "database is locked"  # how a Prefect server on SQLite words a write conflict in a bulk's answer


class _Busy(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _wait_as_asked(state: RetryCallState) -> float:
    """The server's Retry-After when it gives one, else 0.1, 0.2, 0.4 ... 12.8 s (25.5 s in all), with jitter."""
    error = state.outcome.exception() if state.outcome else None
    asked = error.response.headers.get("Retry-After") if isinstance(error, _Busy) else None
    try:
        seconds = float(asked) if asked is not None else 0.05 * 2 ** state.attempt_number
    except ValueError:
        seconds = 0.05 * 2 ** state.attempt_number
    return min(LONGEST_WAIT, seconds) * random.uniform(1.0, 1.2)


LIVE = frozenset({"SCHEDULED", "PENDING", "RUNNING", "PAUSED"})
"""State types of a run that can still take a decision (Prefect's ``StateType`` values)."""


SETTLED = frozenset({"PAUSED", "COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
"""State types of a run that waits for people or has ended: what a command that started runs waits for."""
RETRIED = frozenset({"FAILED", "CRASHED", "CANCELLED"})
"""State types of a run that ended without its work: starting the item again makes a new run."""


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

    @property
    def completed(self) -> bool:
        return self.type == "COMPLETED"

    @classmethod
    def of(cls, data: dict | None) -> RunState:
        data = data or {}
        return cls(data.get("type", ""), data.get("name", ""), data.get("message") or "")


@dataclass(frozen=True)
class Run:
    """A flow run as tarjama's commands see it."""

    id: str
    name: str
    state: RunState
    parameters: dict[str, Any]

    @classmethod
    def of(cls, data: dict) -> Run:
        return cls(str(data["id"]), data.get("name", ""), RunState.of(data.get("state")), data.get("parameters") or {})


class RunApi:
    """The two questions, on one connection (``$PREFECT_API_URL``, with its credentials)."""

    def __init__(self, url: str | None = None, timeout: float = 10.0) -> None:
        self._client = httpx.Client(base_url=(url or api_url()).rstrip("/") + "/", timeout=timeout,
                                    headers=api_headers())
        self._csrf_client = str(uuid.uuid4())
        self._csrf_token: str | None = None
        self._csrf_needed = True
        self._csrf_lock = threading.Lock()  # threads share one client: one handshake at a time

    def __enter__(self) -> RunApi:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._client.close()

    def state(self, run_id: str) -> RunState | None:
        """The run's current state; None when the server does not know the run."""
        run = self.run(run_id)
        return run.state if run is not None else None

    def run(self, run_id: str) -> Run | None:
        """The run as it is now; None when the server does not know it."""
        response = self._send("GET", f"flow_runs/{run_id}")
        if response.status_code in (404, 422):  # unknown id, or not a UUID
            return None
        self._raise_for(response)
        return Run.of(response.json())

    def runs(self, flow: str, states: Iterable[str], names: Iterable[str] = ()) -> list[Run]:
        """Runs of ``flow`` in state types ``states`` (and named one of ``names``, if given), newest first."""
        run_filter: dict[str, Any] = {"state": {"type": {"any_": sorted(states)}}}
        if names:
            run_filter["name"] = {"any_": list(names)}
        response = self._post("flow_runs/filter", {"flows": {"name": {"any_": [flow]}}, "flow_runs": run_filter,
                                                   "sort": "EXPECTED_START_TIME_DESC"})
        self._raise_for(response)
        return [Run.of(data) for data in response.json()]

    def deployment(self, name: str) -> dict[str, Any] | None:
        """The deployment ``FLOW/DEPLOYMENT``; None when the server has none of that name."""
        response = self._send("GET", f"deployments/name/{name}")
        if response.status_code == 404:
            return None
        self._raise_for(response)
        return response.json()

    def create_run(self, deployment_id: str, parameters: dict[str, Any], name: str,
                   idempotency_key: str | None = None) -> Run:
        """A new scheduled run of the deployment (the run of ``idempotency_key`` if one was made with it)."""
        body = {"parameters": parameters, "name": name, "idempotency_key": idempotency_key,
                "state": {"type": "SCHEDULED", "name": "Scheduled"}}
        response = self._post(f"deployments/{deployment_id}/create_flow_run", body)
        self._raise_for(response)
        return Run.of(response.json())

    def create_runs(self, deployment_id: str, runs: Sequence[tuple[dict[str, Any], str, str | None]]
                    ) -> list[str | None] | None:
        """Scheduled runs of the deployment, ``(parameters, name, idempotency_key)`` each, in one transaction per
        :data:`BULK_LIMIT` (Prefect's bulk route): each one's id (the run made earlier with its key, if any), or
        None where the server refused that one; None when the server has no bulk route (before Prefect 3.9).

        A Prefect server on SQLite refuses a whole bulk the moment another write lands between its first read
        and its first write (a deferred transaction: "database is locked", every run of it), which a burst's
        second hundred meets as soon as the first hundred run. Those are asked again in bulks of
        :data:`REFUSED_BULK` (a refusal then costs the server ten runs' work, not a hundred), up to
        :data:`BULK_TRIES` times; created one at a time instead, 100 runs took 386 requests and 4 minutes."""
        ids: list[str | None] = [None] * len(runs)
        waiting = list(range(len(runs)))
        for attempt in range(BULK_TRIES):
            size = BULK_LIMIT if attempt == 0 else REFUSED_BULK
            refused: list[int] = []
            for start in range(0, len(waiting), size):
                chunk = waiting[start:start + size]
                body = [{"parameters": runs[i][0], "name": runs[i][1], "idempotency_key": runs[i][2],
                         "state": {"type": "SCHEDULED", "name": "Scheduled"}} for i in chunk]
                response = self._post(f"deployments/{deployment_id}/create_flow_run/bulk", body)
                if response.status_code in (404, 405) and attempt == 0 and start == 0:
                    return None
                self._raise_for(response)
                for index, result in zip(chunk, response.json().get("results", []), strict=False):  # short: rest one by one
                    if result.get("status") == "CREATED" and result.get("flow_run_id"):
                        ids[index] = str(result["flow_run_id"])
                    elif LOCKED in str(result.get("error") or ""):
                        refused.append(index)
            if not refused:
                break
            waiting = refused
            time.sleep(random.uniform(0.05, 0.25))  # the next write lands elsewhere than between our read and write
        return ids

    def runs_by_id(self, run_ids: Iterable[str]) -> dict[str, Run]:
        """The runs of these ids that the server knows, as they are now."""
        wanted = list(run_ids)
        found: dict[str, Run] = {}
        for start in range(0, len(wanted), BULK_LIMIT):
            page = wanted[start:start + BULK_LIMIT]
            response = self._post("flow_runs/filter", {"flow_runs": {"id": {"any_": page}}, "limit": len(page)})
            self._raise_for(response)
            found.update((run.id, run) for run in map(Run.of, response.json()))
        return found

    def release_lease(self, lease_id: str) -> None:
        """Give back the concurrency slots of a lease (a lease the server no longer knows is nothing to do)."""
        response = self._post("v2/concurrency_limits/decrement-with-lease", {"lease_id": lease_id})
        self._raise_for(response)

    def fail(self, run_id: str, message: str) -> None:
        """Set the run Failed with ``message``, whatever its state (as Prefect's client forces a state)."""
        self._force_state(run_id, "FAILED", "Failed", message)

    def cancel(self, run_id: str, message: str) -> None:
        """Set the run Cancelled with ``message``, whatever its state."""
        self._force_state(run_id, "CANCELLED", "Cancelled", message)

    def _force_state(self, run_id: str, kind: str, name: str, message: str) -> None:
        response = self._post(f"flow_runs/{run_id}/set_state",
                              {"state": {"type": kind, "name": name, "message": message}, "force": True})
        self._raise_for(response)

    def resume(self, run_id: str, run_input: dict[str, Any]) -> bool:
        """Resume a paused run with ``run_input`` (the server checks it against the run's form); False when the
        server refuses (the run is not paused, or no longer waits for this form)."""
        response = self._post(f"flow_runs/{run_id}/resume", {"run_input": run_input})
        if response.status_code >= 400:
            return False
        return (response.json() or {}).get("status") == "ACCEPT"

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """A POST with Prefect's CSRF token, and one new handshake if the server says the token expired."""
        sent = self._csrf_headers()
        response = self._send("POST", path, json=body, headers=sent)
        if response.status_code == 403 and self._csrf_needed:
            with self._csrf_lock:
                if self._csrf_token == sent.get("Prefect-Csrf-Token"):  # not renewed by another thread meanwhile
                    self._csrf_token = None
            response = self._send("POST", path, json=body, headers=self._csrf_headers())
        return response

    def _csrf_headers(self) -> dict[str, str]:
        """Prefect's CSRF handshake, as its client does it: a token per client id, skipped where the server
        has CSRF protection off (it answers 422) or predates it (404)."""
        with self._csrf_lock:
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
        """One request, tried again as Prefect's own client tries it: on a busy server's 408, 429, 502 and 503
        (after its Retry-After) and on a connection that broke mid-request; a server that is not there fails at
        once."""
        retrying = Retrying(stop=stop_after_attempt(RETRIES + 1), wait=_wait_as_asked, reraise=True,
                            retry=retry_if_exception_type(_Busy) | retry_if_exception_type(TRANSIENT))
        try:
            return retrying(self._attempt, method, path, **options)
        except _Busy as busy:
            return busy.response
        except httpx.HTTPError as error:
            raise TarjamaError(f"the Prefect server at {self._client.base_url} stopped answering ({error}); "
                               "a decision already recorded is delivered when the run is woken again") from None

    def _attempt(self, method: str, path: str, **options: Any) -> httpx.Response:
        response = self._client.request(method, path, **options)
        if response.status_code in BUSY:
            raise _Busy(response)
        return response

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code == 401:
            raise TarjamaError(f"the Prefect server at {self._client.base_url} asks for credentials: "
                               "set PREFECT_API_AUTH_STRING")
        if response.status_code >= 400:
            raise TarjamaError(f"the Prefect server at {self._client.base_url} answered {response.status_code} "
                               f"to {response.request.method} {response.request.url.path}")
