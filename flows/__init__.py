"""Prefect flows of tarjama: orchestration only; the work is done by the ``tarjama`` package."""

from tarjama.prefect_env import prepare_prefect_env
from tarjama.workspace import find_workspace

prepare_prefect_env(find_workspace())
