"""A temporary Prefect API for commands that run a flow without a server (``tarjama translate`` alone).

Prefect's ephemeral mode starts a server subprocess and stops it at exit; a
SIGKILL of the command skips that, and the server (about 200 MB) runs on
forever. And several first runs at once in a new workspace race on its
database migrations. So tarjama starts the server itself:

* the child watches a pipe from its parent and stops when the pipe closes,
  which the kernel does however the parent dies (SIGKILL included);
* start-ups are serialised per workspace by a file lock held until the API
  answers, so migrations run once while the others wait; a new workspace's
  database starts as a copy of a migrated one (:mod:`operations.prefect_db`).

The child is this module run as ``python -m operations.local_server PORT``: the
watchdog thread, then uvicorn with Prefect's own app factory (as Prefect's
ephemeral server runs it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

from operations.prefect_db import seed_database
from tarjama.errors import TarjamaError
from tarjama.fsio import locked
from tarjama.workspace import Workspace

START_TIMEOUT = 180.0
_CHILD_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
              "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def local_server(workspace: Workspace, while_starting: Callable[[str], None] | None = None) -> Iterator[str]:
    """A Prefect API on 127.0.0.1 for the duration of the block; yields its URL. It stops with the block,
    or with this process however it ends. ``while_starting`` is called with the URL as soon as the server process
    is started (the caller's own imports overlap the server's start-up)."""
    import httpx

    workspace.prefect_home.mkdir(parents=True, exist_ok=True)
    log = open(workspace.prefect_home / "local-server.log", "ab")  # noqa: SIM115 - closed when the server stops
    with locked(workspace.prefect_home / ".server-start.lock", "Prefect's database", timeout=START_TIMEOUT):
        seed_database(workspace.prefect_home)  # a new workspace: a migrated database, not ten seconds of migrations
        port = _free_port()
        child = subprocess.Popen([sys.executable, "-m", "operations.local_server", str(port)], stdin=subprocess.PIPE,
                                 stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **_CHILD_ENV},
                                 start_new_session=True)
        url = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + START_TIMEOUT
        try:
            if while_starting is not None:
                while_starting(url)
            with httpx.Client(timeout=2) as probe:  # one client: each new one loads the system's certificates
                while True:
                    if child.poll() is not None:
                        raise TarjamaError(f"the temporary Prefect server stopped while starting; see "
                                           f"{workspace.relative(workspace.prefect_home / 'local-server.log')}")
                    try:
                        if probe.get(f"{url}/health").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise TarjamaError(f"the temporary Prefect server did not start within {START_TIMEOUT:.0f} s")
                    time.sleep(0.2)  # the server's start-up announces nothing: its health route is asked
        except BaseException:
            _stop(child)
            log.close()
            raise
    try:
        yield url
    finally:
        flush_to_api()
        _stop(child)
        log.close()


FLUSH_TIMEOUT = 10.0


def flush_to_api() -> None:
    """Send the runs' last logs and events while the API still answers. Left to Prefect's exit hook, they would
    be sent to a stopped server: an "Error logging to API" line, and a wait at exit that can last forever."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=FLUSH_TIMEOUT)


def _stop(child: subprocess.Popen) -> None:
    with contextlib.suppress(BrokenPipeError, OSError):
        child.stdin.close()  # the child's watchdog sees the pipe close and stops the server
    try:
        child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def _exit_when_parent_dies(grace: float = 10.0) -> None:
    """Block until the parent's end of stdin closes, then stop this server (SIGTERM, then exit)."""
    with contextlib.suppress(OSError):
        while sys.stdin.buffer.read(4096):
            pass
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(grace)  # uvicorn shuts down on SIGTERM; if it has not by now, leave at once
    os._exit(0)


def main(port: int) -> None:
    import uvicorn

    threading.Thread(target=_exit_when_parent_dies, name="parent-watchdog", daemon=True).start()
    uvicorn.run("prefect.server.api.server:create_app", factory=True, host="127.0.0.1", port=port,
                log_level="error", lifespan="on")


if __name__ == "__main__":
    main(int(sys.argv[1]))
