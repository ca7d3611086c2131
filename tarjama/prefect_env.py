"""Prefect settings that must be in place before ``import prefect``.

Telemetry is off and Prefect's home (its SQLite database, profiles and logs)
stays inside the workspace, git-ignored. Values already set by the user win.
"""

from __future__ import annotations

import os

from tarjama.workspace import Workspace


def prepare_prefect_env(workspace: Workspace) -> None:
    os.environ.setdefault("PREFECT_HOME", str(workspace.prefect_home))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    os.environ.setdefault("PREFECT_UI_SHOW_PROMOTIONAL_CONTENT", "false")


LOCAL_API_URL = "http://127.0.0.1:4200/api"


def connect(workspace: Workspace, required: bool) -> str | None:
    """Prepare Prefect's environment and point it at a running server if one answers (before importing Prefect)."""
    from tarjama.errors import TarjamaError

    prepare_prefect_env(workspace)
    url = find_server()
    if url:
        os.environ["PREFECT_API_URL"] = url
    elif os.environ.get("PREFECT_API_URL"):
        raise TarjamaError(f"PREFECT_API_URL={os.environ['PREFECT_API_URL']} does not answer; start the server or unset it")
    elif required:
        raise TarjamaError("no Prefect server is running; start the review loop with `make demo` or `tarjama serve`")
    return url


def find_server(timeout: float = 0.5) -> str | None:
    """The Prefect API to use: ``$PREFECT_API_URL``, else a local server on the default port if one answers.

    Uses plain HTTP (no Prefect import), so commands that only need to know stay fast.
    """
    import httpx

    url = os.environ.get("PREFECT_API_URL") or os.environ.get("TARJAMA_PREFECT_API_URL") or LOCAL_API_URL
    try:
        ok = httpx.get(url.rstrip("/") + "/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        ok = False
    return url if ok else None


def run_state_names(api_url: str, run_ids: list[str], timeout: float = 0.5) -> dict[str, str]:
    """Current state name of each flow run, read over the REST API (no Prefect import)."""
    import httpx

    names: dict[str, str] = {}
    try:
        with httpx.Client(base_url=api_url.rstrip("/") + "/", timeout=timeout) as client:
            for run_id in dict.fromkeys(run_ids):
                response = client.get(f"flow_runs/{run_id}")
                if response.status_code == 200:
                    names[run_id] = (response.json().get("state") or {}).get("name", "?")
                elif response.status_code == 404:
                    names[run_id] = "unknown to this server"
    except httpx.HTTPError:
        pass
    return names
