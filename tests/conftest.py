"""Shared fixtures: a workspace with the sample item, loopback MT servers, the Prefect harness,
`tarjama serve` against it, and a check that every catalog a test writes passes ``msgfmt -c``.

Tests that need the Prefect harness, the served deployment or a subprocess stack are marked
``integration`` (``make test-fast`` leaves them out)."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tarjama.mt.settings import MTSettings, ProviderConfig
from tarjama.workspace import Workspace
from tests.support.mt_servers import LoopbackMTServer
from tests.support.waiting import wait_for

INTEGRATION_FIXTURES = {"prefect_harness", "served", "served_workspace"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups to place the tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the integration tier. Under ``pytest -n 2 --dist loadgroup`` (``make test``) the tests that share the
    session's Prefect test server and served loop stay in one process (one server, one loop), the topology test
    (its own PostgreSQL and server) starts at once in the other, and every other test module goes whole to whichever
    process is free (a module's imports and module-wide fixtures are paid in one process, not in both); the unit
    tests that import Prefect (``prefect_objects``) go together, so that one process pays its import (1.5 to 3 s)."""
    for item in items:
        shares_the_loop = bool(INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())))
        if shares_the_loop:
            item.add_marker(pytest.mark.integration)
        if item.path.name == "test_workers.py":
            item.add_marker(pytest.mark.xdist_group("topology"))
        elif shares_the_loop:
            item.add_marker(pytest.mark.xdist_group("prefect"))
        elif item.get_closest_marker("prefect_objects"):
            item.add_marker(pytest.mark.xdist_group("prefect-objects"))
        else:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
    items.sort(key=_start_order)


def _start_order(item: pytest.Item) -> int:
    """The two long groups first, each at once on a process of its own; the other slow ones next."""
    group = item.get_closest_marker("xdist_group").args[0]
    if group == "topology":
        return 0
    if group == "prefect":
        return 1
    return 2 if item.get_closest_marker("integration") else 3


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuse to run a grouped suite whose groups are not applied: pytest-xdist marks a group by renaming the test,
    which pytest 9.2 ignores (its tests then spread over both processes, each with its own Prefect server and
    served loop). Pinned: pytest 8.4.2 (constraints.txt)."""
    gc.freeze()  # what collection imported lives to the end: no collection (pytest runs five at exit) walks it again
    if not getattr(session.config.option, "loadgroup", False):
        return
    lost = [item.nodeid for item in session.items
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
    if lost:
        pytest.exit(f"--dist loadgroup is not applied (e.g. {lost[0]}): check the pytest and pytest-xdist versions",
                    returncode=3)


REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "content" / "inbox" / "000_220f3de444a27c17.txt"
CACHE = "TARJAMA_CACHE_DIR"
os.environ.setdefault(CACHE, str(REPO / ".cache"))  # the language model's uncompressed copy: the suite's, not $HOME's


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's own provider keys or workspace."""
    for name in list(os.environ):
        if name.startswith("TARJAMA_") and name != CACHE:
            monkeypatch.delenv(name)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path / "ws", SAMPLE.name)


@pytest.fixture
def sample(workspace: Workspace) -> Path:
    return workspace.inbox / SAMPLE.name


def check_with_msgfmt(folder: Path) -> None:
    """Every PO file under ``folder`` must pass msgfmt -c (gettext is installed by .ci/run)."""
    catalogs = [p for p in folder.rglob("*.po") if "broken" not in p.name]
    if not catalogs:
        return
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt not found: install gettext (apt-get install gettext)"
    for po in catalogs:
        proc = subprocess.run([msgfmt, "-c", "-o", os.devnull, str(po)], capture_output=True, text=True)
        assert proc.returncode == 0, f"msgfmt -c failed for {po}:\n{proc.stderr}"


@pytest.fixture(autouse=True)
def _msgfmt_every_catalog(tmp_path: Path):
    """Each test's own catalogs, checked as soon as it ends."""
    yield
    check_with_msgfmt(tmp_path)


@pytest.fixture(scope="session", autouse=True)
def _msgfmt_every_shared_catalog(tmp_path_factory: pytest.TempPathFactory):
    """Catalogs written in module- and session-wide workspaces (the served loop, the desk), checked at the end."""
    yield
    check_with_msgfmt(tmp_path_factory.getbasetemp())


def _server(protocol: str, **kwargs):
    with LoopbackMTServer(protocol, **kwargs) as server:
        yield server


@pytest.fixture
def libre():
    yield from _server("libre", hang_seconds=2.0)


@pytest.fixture
def google():
    yield from _server("google", hang_seconds=2.0)


@pytest.fixture
def mymemory():
    yield from _server("mymemory", hang_seconds=2.0)


@pytest.fixture
def engine():
    """An engine whose loopback LibreTranslate answers as ``tests.support.risk_item`` says (drafts of known risk)."""
    from tarjama.mt.engine import MTEngine
    from tests.support.risk_item import ANSWERS

    with LoopbackMTServer("libre", answers=ANSWERS) as server:
        yield MTEngine(settings_for(server))


def settings_for(*servers: LoopbackMTServer | tuple[str, str], **overrides) -> MTSettings:
    """MT settings pointing the named providers at loopback servers, with test-sized delays."""
    providers = {}
    chain = []
    for server in servers:
        name, url = (server.protocol, server.url) if isinstance(server, LoopbackMTServer) else server
        chain.append(name)
        providers[name] = ProviderConfig(url=url, api_key=overrides.pop(f"{name}_key", None))
    values = {"chain": tuple(chain), "timeout": 0.5, "backoff": 0.01, "max_backoff": 0.05, "concurrency": 4,
              "providers": providers}
    values.update(overrides)
    return MTSettings(**values)


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory):
    """One Prefect test server for the whole session (Prefect's harness; its database starts migrated, from the
    template ``tarjama translate`` uses: about 10 s of its 20 s start); yields its API URL so that CLI
    subprocesses report to it too."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    import prefect.testing.utilities as harness

    from operations.prefect_db import migrated_template

    def seeded_dir() -> str:
        """The harness's database folder, its database already migrated (tarjama's template: 10 s less)."""
        folder = tmp_path_factory.mktemp("prefect-test-db")
        template = migrated_template()
        if template is not None:
            shutil.copyfile(template, folder / "prefect-test.db")  # the file name the harness gives its database
        return str(folder)

    with pytest.MonkeyPatch.context() as patch:  # the harness makes its database folder with its module's mkdtemp
        patch.setattr(harness, "mkdtemp", seeded_dir)
        with harness.prefect_test_harness(server_startup_timeout=120):
            from prefect.settings import PREFECT_API_URL

            yield PREFECT_API_URL.value()


BURST = 2  # the 50-item burst is a unit test (test_inbox); here, the real watcher and runs


def burst_item(n: int) -> str:
    """An inbox item of four sentences of its own (its MT requests never mix with the sample's)."""
    return (f"أعلنت الوزارة اليوم عن برنامج رقم {n} لدعم الشباب. وحضر اللقاء {n} من المسؤولين.\n\n"
            f"وأكد المتحدث أن البرنامج {n} سيبدأ قريبا. وسيشمل {n} جهات في المرحلة الأولى.\n")


@pytest.fixture(scope="session")
def served_workspace(tmp_path_factory) -> Workspace:
    """The workspace `tarjama serve` watches (its inbox) and gives runs by default. A burst of items is in its
    inbox before serve starts (dropped while it was down), with one that ingest refuses."""
    ws = make_workspace(tmp_path_factory.mktemp("serve") / "ws")
    for n in range(BURST):
        (ws.inbox / f"burst-{n}.txt").write_text(burst_item(n), encoding="utf-8")
    (ws.inbox / "not-arabic.txt").write_text("Only English text here, no Arabic at all.", encoding="utf-8")
    return ws


@pytest.fixture(scope="session")
def served(prefect_harness, served_workspace):
    """`tarjama serve` running against the session's Prefect server, with a loopback LibreTranslate.

    Runs carry their own workspace as a parameter, so each test module can use its own.
    """
    import signal
    import subprocess
    import sys

    home = served_workspace.root
    os.environ["PREFECT_API_URL"] = prefect_harness  # for clients in other threads (the desk's decisions)
    with LoopbackMTServer("libre") as libre:
        env = {**os.environ, **SERVE_ENV, "TARJAMA_LIBRE_URL": libre.url}
        log = open(home / "serve.log", "wb")  # noqa: SIM115 - closed when serve stops
        proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--workspace", str(home)], env=env,
                                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        (served_workspace.inbox / "as-it-starts.txt").write_text(burst_item(99), encoding="utf-8")
        try:
            from operations.run_api import RunApi
            from operations.runs import deployment_is_served

            def up() -> bool:
                assert proc.poll() is None, (home / "serve.log").read_text()
                return deployment_is_served(api)

            with RunApi() as api:
                wait_for(up, 120, "tarjama serve to serve its deployment", every=0.5)
            yield libre
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_workspace(root: Path, *items: str) -> Workspace:
    """A workspace holding the sample item under each of the given file names."""
    (root / "content" / "inbox").mkdir(parents=True)
    (root / "translations").mkdir()
    for name in items:
        shutil.copy(SAMPLE, root / "content" / "inbox" / name)
    return Workspace(root)


SERVE_ENV = {"TARJAMA_REVIEW_WATCH_SECONDS": "1", "TARJAMA_MT_BACKOFF": "0.01",
             "TARJAMA_INBOX_WATCH_SECONDS": "1", "TARJAMA_PROVIDERS": "libre", "TARJAMA_SERVE_LIMIT": "10"}
"""The environment of the session's `tarjama serve`: fast watchers, the loopback LibreTranslate only, and
room for the inbox burst to draft while other tests' runs resume. The worker keeps serve's own poll: runs start
on the server's events."""


def settle(run_id, timeout: float = 180):
    """The run once it is suspended for review or finished (as ``tarjama translate`` waits for it)."""
    from operations.run_api import SETTLED, RunApi
    from operations.runs import wait_until_settled

    with RunApi() as api:
        run = wait_until_settled(api, [str(run_id)], timeout=timeout)[str(run_id)]
    assert run.state.type in SETTLED, run.state
    return run


def start_run(parameters: dict, *, name: str):
    """A run of the served deployment, started as the CLI and the inbox watcher start one."""
    from operations import runs
    from operations.run_api import RunApi

    with RunApi() as api:
        return runs.start_run(api, parameters, name=name)


def runs_of(slug: str | None, workspace: Workspace | None, states: frozenset[str] | None = None) -> list:
    """An item's runs (its live ones unless ``states`` says otherwise), as the CLI finds them."""
    from operations import runs
    from operations.run_api import LIVE, RunApi

    with RunApi() as api:
        return runs.runs_of(api, slug, workspace, states or LIVE)


def start_sample_run(workspace: Workspace, name: str, **params):
    """Start a run of the served deployment for an inbox item and wait until it settles."""
    run = start_run({"request": {"item_path": str(workspace.inbox / name), "targets": ["fr", "en"],
                                 "providers": ["libre"]}, "workspace": str(workspace.root), **params}, name=Path(name).stem)
    return settle(run.id)
