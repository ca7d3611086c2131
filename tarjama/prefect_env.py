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
