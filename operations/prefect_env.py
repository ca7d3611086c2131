"""Prefect's environment, and questions to a Prefect API over plain HTTP (no Prefect import: fast).

Entry points call :func:`prepare_prefect_env` before importing Prefect:
telemetry off, Prefect's home (its SQLite database, profiles and logs) inside
the workspace and git-ignored. Values already set by the user win. Importing
this module changes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum

from tarjama.errors import InputError
from tarjama.workspace import Workspace

LOCAL_API_URL = "http://127.0.0.1:4200/api"
LATE_AFTER_SECONDS = 900
"""When a Prefect server marks a scheduled run Late (Prefect's 15 s; ``PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS``,
for the servers tarjama starts and in the README's for yours). A burst waits on the pool's limit for minutes, which
is not lateness: at 15 s every queued run of a 200-item burst was marked Late, and on SQLite the server's attempts
failed on write conflicts 4,871 times in 4 minutes, each an ERROR with its traceback, doubling the server's CPU
(bench_workers: 0.76 s of orchestration per item instead of 1.37). A stopped worker still shows within 90 s: the
pool turns "not ready"."""
QUIET_PREFECT = {"PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL"}
"""For a flow run inside a CLI command: its logs still reach the API (the UI shows them), not the terminal."""


def prefect_env(workspace: Workspace) -> dict[str, str]:
    """The variables tarjama sets for Prefect (telemetry off, home in the workspace, a burst not "late")."""
    return {
        "PREFECT_HOME": str(workspace.prefect_home),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
        "PREFECT_UI_SHOW_PROMOTIONAL_CONTENT": "false",
        "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": str(LATE_AFTER_SECONDS),
    }


def prepare_prefect_env(workspace: Workspace) -> None:
    """Prefect's variables set, and its TLS settings checked: a bad certificate file is one line here, where
    Prefect's every client would raise a traceback (in the CLI, the worker and each run)."""
    for name, value in prefect_env(workspace).items():
        os.environ.setdefault(name, value)
    cert_file = os.environ.get("PREFECT_API_SSL_CERT_FILE")
    skip_verify = os.environ.get("PREFECT_API_TLS_INSECURE_SKIP_VERIFY", "").lower() in {"1", "true", "yes", "on"}
    problem = certificate_file_problem(cert_file) if cert_file and not skip_verify else None
    if problem is not None:
        raise InputError(problem)


def certificate_file_problem(path: str) -> str | None:
    """Why Prefect's API clients cannot verify against the certificate file ``path`` (they load it even for an
    ``http://`` API), as one line naming the setting; None when they can."""
    import ssl

    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        reason = "no such file"
    except ssl.SSLError as exc:
        reason = f"not a PEM certificate file ({exc.reason or exc})"
    except OSError as exc:
        reason = f"cannot be read ({exc.strerror or exc})"
    else:
        return None
    return (f"PREFECT_API_SSL_CERT_FILE={path}: {reason}; set it to the PEM file of the certificate authority "
            "that signed the API's certificate, or unset it to use certifi's bundle")


class ServerState(StrEnum):
    UP = "up"
    DOWN = "no server"
    SLOW = "server did not answer in time"


@dataclass(frozen=True)
class Probe:
    url: str
    state: ServerState


def api_url() -> str:
    return os.environ.get("PREFECT_API_URL") or LOCAL_API_URL


def api_headers() -> dict[str, str]:
    """The basic authentication a protected Prefect server asks of its clients (``PREFECT_API_AUTH_STRING``,
    sent as Prefect's own client sends it)."""
    import base64

    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}


def probe_server(timeout: float = 2.0) -> Probe:
    """Whether the Prefect API (``$PREFECT_API_URL``, else the local default) answers its health check."""
    import httpx

    url = api_url()
    try:
        ok = httpx.get(url.rstrip("/") + "/health", timeout=timeout).status_code == 200
    except httpx.TimeoutException:
        return Probe(url, ServerState.SLOW)
    except httpx.HTTPError:
        return Probe(url, ServerState.DOWN)
    return Probe(url, ServerState.UP if ok else ServerState.DOWN)


def run_state_names(url: str, run_ids: list[str], timeout: float = 2.0) -> dict[str, str]:
    """Current state name of each flow run, read over the REST API; what is not known says why."""
    import httpx

    names: dict[str, str] = {}
    try:
        with httpx.Client(base_url=url.rstrip("/") + "/", timeout=timeout, headers=api_headers()) as client:
            for run_id in dict.fromkeys(run_ids):
                response = client.get(f"flow_runs/{run_id}")
                if response.status_code == 200:
                    names[run_id] = (response.json().get("state") or {}).get("name", "?")
                elif response.status_code == 404:
                    names[run_id] = "unknown to this server"
                elif response.status_code == 401:
                    names[run_id] = "(the server asks for PREFECT_API_AUTH_STRING)"
    except httpx.TimeoutException:
        return {run_id: names.get(run_id, ServerState.SLOW.value) for run_id in run_ids}
    except httpx.HTTPError:
        return {run_id: names.get(run_id, ServerState.DOWN.value) for run_id in run_ids}
    return names


def run_states_now(run_ids: list[str], timeout: float = 2.0) -> dict[str, str]:
    """What ``tarjama status`` and the desk show as run states: from the API if it answers, else why not."""
    probe = probe_server(timeout)
    if probe.state is not ServerState.UP:
        return {run_id: f"({probe.state.value})" for run_id in run_ids}
    return run_state_names(probe.url, run_ids)
