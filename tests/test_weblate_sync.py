"""The Weblate sync's refusals, without a Weblate: one line each, and never the token (the end-to-end round
trip against a real Weblate is tests/test_weblate.py)."""

from __future__ import annotations

import subprocess

import pytest
from pydantic import SecretStr

from operations.weblate_api import WeblateApi, WeblateError
from operations.weblate_sync import sync
from tarjama.context import Context
from tarjama.errors import TarjamaError
from tarjama.settings import Settings, WeblateSettings
from tests.conftest import free_port

TOKEN = "wlu_not-a-real-token-0123456789"


def _settings(port: int) -> Settings:
    return Settings(weblate=WeblateSettings(url=f"http://127.0.0.1:{port}", token=SecretStr(TOKEN)))


def test_a_workspace_outside_git_is_refused_in_one_line(workspace) -> None:
    with pytest.raises(TarjamaError, match="is not the top of a git repository"):
        sync(Context(workspace, _settings(free_port())))


def test_an_unreachable_weblate_is_one_line_without_the_token(workspace) -> None:
    subprocess.run(["git", "-C", str(workspace.root), "init", "-q", "-b", "main"], check=True)
    port = free_port()  # nothing listens there: connection refused
    with pytest.raises(WeblateError) as raised:
        sync(Context(workspace, _settings(port)))
    message = str(raised.value)
    assert f"127.0.0.1:{port}" in message and "is it running?" in message and "\n" not in message
    assert TOKEN not in message


def test_weblate_needs_its_address_and_token() -> None:
    with pytest.raises(WeblateError, match="TARJAMA_WEBLATE_URL and TARJAMA_WEBLATE_TOKEN"):
        WeblateApi(WeblateSettings(url="http://127.0.0.1:8700"))
