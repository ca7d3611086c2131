"""The production topology on one machine, for tests and the load benchmark: a real PostgreSQL (Debian's
package, a throwaway data directory, a loopback port), a Prefect server on it with basic authentication,
and process workers. Test scaffolding, not part of the product.

PostgreSQL refuses to run as root: as root, the data directory is given to the ``postgres`` user and the
server runs as that user (``runuser``); as anyone else, as themselves.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx

from operations.prefect_env import LATE_AFTER_SECONDS
from operations.stack import Child
from tests.conftest import free_port
from tests.support.waiting import wait_for

PG_BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
AUTH = "tarjama:not-a-real-secret"  # the test server's basic authentication (PREFECT_SERVER_API_AUTH_STRING)


def postgres_available() -> bool:
    return bool(PG_BINARIES) and (os.geteuid() != 0 or shutil.which("runuser") is not None)


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL server on 127.0.0.1 with a ``prefect`` database; yields its asyncpg URL. Removed after."""
    bin_dir = Path(PG_BINARIES[-1])
    data = Path(tempfile.mkdtemp(prefix="tarjama-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    port = free_port()
    run = {"check": True, "capture_output": True}
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "postgres",
                              "--no-sync", "-E", "UTF8"]), **run)
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={data} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-o", options, "-l",
                              str(data / "postgres.log"), "-w", "start"]), **run)
    try:
        subprocess.run(_as_owner([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                  "prefect"]), **run)
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}/prefect"
    finally:
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def topology_env(home: Path, api_port: int, database: str | None, poll: str | None = "1") -> dict[str, str]:
    """Environment of the server, the workers and the CLI: one API, authentication on both sides. ``poll``: the
    workers' look for runs (None: Prefect's 10 s, as in production; warm workers start runs on events anyway)."""
    api = f"http://127.0.0.1:{api_port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api, "PREFECT_UI_API_URL": api,
           "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(api_port),
           "PREFECT_SERVER_API_AUTH_STRING": AUTH, "PREFECT_API_AUTH_STRING": AUTH,
           "PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED": "true", "PREFECT_CLIENT_CSRF_SUPPORT_ENABLED": "true",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_UI_ENABLED": "false",
           "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
           "PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS": str(LATE_AFTER_SECONDS),  # as the README says
           "PREFECT_API_REQUEST_TIMEOUT": "120", "PREFECT_LOGGING_TO_API_BATCH_INTERVAL": "1"}
    if poll is not None:
        env.update({"PREFECT_WORKER_QUERY_SECONDS": poll, "PREFECT_WORKER_PREFETCH_SECONDS": poll})
    env.pop("PREFECT_API_DATABASE_CONNECTION_URL", None)
    if database:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database
    else:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{home / 'prefect.db'}"
    return env


@contextlib.contextmanager
def prefect_server(env: dict[str, str], logs: Path) -> Iterator[Child]:
    """``prefect server start`` with ``env``'s database and authentication, until the block ends."""
    port = env["PREFECT_SERVER_API_PORT"]
    server = Child("Prefect server", [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                      "--port", port], env, logs / "server.log")
    try:
        def healthy() -> bool:
            assert server.alive(), (logs / "server.log").read_text(errors="replace")[-3000:]
            try:
                return httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, 180, "the Prefect server to answer", every=0.5)
        yield server
    finally:
        server.stop()


def start_worker(env: dict[str, str], logs: Path, name: str, pool: str = "tarjama") -> Child:
    """``prefect worker start --pool`` as an operator types it (the pool's type picks the worker) in its own
    process group."""
    return Child(f"worker {name}", [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--name", name],
                 env, logs / f"worker-{name}.log")


def cli(env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """``tarjama ARGS`` as an operator types it, with the topology's environment."""
    return subprocess.run([sys.executable, "-m", "cli", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
