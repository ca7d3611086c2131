"""What the fork server does once for every forked run (operations/fork_caches.py): Prefect's logging configuration
loaded again only when what it depends on differs, one TLS context per certificate file, and one CSRF token per
process shared by Prefect's real HTTP clients (against a loopback stand-in for the server's CSRF protocol)."""

from __future__ import annotations

import secrets
import shutil
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from uuid import UUID, uuid4

import anyio
import certifi
import pytest

from operations.fork_caches import CsrfSeed, SharedCsrfToken, remembered_logging_config, remembered_tls_contexts
from tests.support.fake_service import JsonAnswers, LoopbackHTTP

pytestmark = pytest.mark.prefect_objects  # Prefect's logging loader and HTTP clients


# -- logging ---------------------------------------------------------------------------------------------------


@pytest.fixture
def logging_yml(tmp_path: Path) -> Path:
    from prefect.logging.configuration import DEFAULT_LOGGING_SETTINGS_PATH

    path = tmp_path / "logging.yml"
    shutil.copy(DEFAULT_LOGGING_SETTINGS_PATH, path)
    return path


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Set a variable and make it the current settings, as a forked run's environment is; undone afterwards. The
    settings are entered as the current context too: the session's Prefect harness holds a context of its own,
    which the global one does not override (the test passed or failed with the order of the suite)."""
    import contextlib

    import prefect.context
    from prefect.settings import Settings

    entered = contextlib.ExitStack()

    def set_env(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        prefect.context.refresh_global_settings_context()
        entered.enter_context(prefect.context.SettingsContext(
            profile=prefect.context.get_settings_context().profile, settings=Settings()))

    with entered:
        yield set_env
    monkeypatch.undo()
    prefect.context.refresh_global_settings_context()


def _counting_load() -> tuple[Any, list[Path]]:
    from prefect.logging.configuration import load_logging_config

    loads: list[Path] = []

    def load(path: Path) -> dict:
        loads.append(path)
        return load_logging_config(path)

    return load, loads


@pytest.mark.parametrize("name, value", [("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "30"),  # a deployment's job env
                                         ("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "1.0")])
def test_a_run_whose_other_settings_differ_reuses_the_configuration(logging_yml: Path, settings_env: Any,
                                                                    name: str, value: str) -> None:
    from prefect.logging.configuration import load_logging_config

    load, loads = _counting_load()
    remembered = remembered_logging_config(load)
    first = remembered(logging_yml)
    first["handlers"].clear()  # as dictConfig consumes what it is given
    settings_env(name, value)
    again = remembered(logging_yml)
    assert len(loads) == 1
    assert again == load_logging_config(logging_yml)  # Prefect's own answer, and a copy each time


@pytest.mark.parametrize("name, value, entry", [("PREFECT_LOGGING_LEVEL", "DEBUG", ("loggers", "prefect", "level")),
                                                ("PREFECT_LOGGING_HANDLERS_API_LEVEL", "ERROR",
                                                 ("handlers", "api", "level"))])
def test_a_setting_the_template_names_or_an_override_of_an_entry_loads_it_again(
        logging_yml: Path, settings_env: Any, name: str, value: str, entry: tuple[str, ...]) -> None:
    from prefect.logging.configuration import load_logging_config

    load, loads = _counting_load()
    remembered = remembered_logging_config(load)
    remembered(logging_yml)
    settings_env(name, value)
    config = remembered(logging_yml)
    assert len(loads) == 2
    assert config == load_logging_config(logging_yml)
    section = config
    for key in entry:
        section = section[key]
    assert section == value


def test_an_edited_file_is_loaded_again_and_a_name_that_is_no_setting_is_never_remembered(logging_yml: Path) -> None:
    load, loads = _counting_load()
    remembered = remembered_logging_config(load)
    remembered(logging_yml)
    logging_yml.write_text(logging_yml.read_text().replace("level: WARNING", "level: ERROR", 1))
    remembered(logging_yml)
    assert len(loads) == 2

    answers: list[Path] = []
    unknown = logging_yml.with_name("other.yml")
    unknown.write_text("version: 1\nroot:\n  level: ${NOT_A_PREFECT_SETTING}\n")
    remembered_unknown = remembered_logging_config(lambda path: answers.append(path) or {"version": 1})
    remembered_unknown(unknown)
    remembered_unknown(unknown)
    assert len(answers) == 2


# -- TLS contexts ------------------------------------------------------------------------------------------------


def test_one_verifying_context_per_certificate_file_until_the_file_changes(tmp_path: Path) -> None:
    made: list[ssl.SSLContext] = []

    def create(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(ssl.create_default_context(*args, **kwargs))
        return made[-1]

    remembered = remembered_tls_contexts(create)
    bundle = tmp_path / "ca.pem"
    shutil.copy(certifi.where(), bundle)
    first = remembered(cafile=str(bundle))
    assert remembered(cafile=str(bundle)) is first
    assert first.verify_mode == ssl.CERT_REQUIRED and first.check_hostname
    assert first.cert_store_stats()["x509_ca"] > 0
    assert remembered(cafile=certifi.where()) is not first  # another file, another context
    bundle.write_text(bundle.read_text() + "\n")  # a renewed bundle
    assert remembered(cafile=str(bundle)) is not first
    insecure = remembered()  # Prefect's TLS_INSECURE_SKIP_VERIFY context is changed after it is made: never shared
    assert remembered() is not insecure
    assert len(made) == 5


def test_the_fork_server_leaves_its_runs_no_prefect_model_to_build_and_its_objects_out_of_their_collections(
) -> None:
    import subprocess
    import sys

    probe = ("import gc, operations.fork_preload\n"
             "from pydantic import BaseModel\n"
             "from prefect.client.schemas.objects import FlowRun\n"
             "def subclasses(c):\n"
             "    return [x for s in c.__subclasses__() for x in (s, *subclasses(s))]\n"
             "left = sorted({m.__qualname__ for m in subclasses(BaseModel)\n"
             "               if m.__module__.startswith('prefect.') and not m.__pydantic_complete__})\n"
             "print(FlowRun.__pydantic_complete__, len(left), gc.get_freeze_count() > 100_000)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["True", "0", "True"], done.stdout + done.stderr


@pytest.mark.parametrize(("content", "reason"), [
    (None, "no such file"), ("not a certificate\n", "not a PEM certificate file (NO_CERTIFICATE_OR_CRL_FOUND)"),
    ("", "cannot be read (Is a directory)")])
def test_a_worker_with_a_certificate_file_prefect_cannot_load_stops_in_one_line_naming_the_setting(
        tmp_path: Path, content: str | None, reason: str) -> None:
    from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY, temporary_settings

    from operations.fork_caches import api_certificates_problem
    from operations.warm_worker import TarjamaWorker

    path = tmp_path / "ca.pem"
    if content == "":
        path.mkdir()
    elif content is not None:
        path.write_text(content)
    with temporary_settings({PREFECT_API_SSL_CERT_FILE: str(path)}):  # as a profile sets it: not in the environment
        worker = TarjamaWorker(work_pool_name="tarjama")
        with pytest.raises(SystemExit) as stopped:
            anyio.run(worker.setup)
        assert str(stopped.value) == (f"tarjama worker: PREFECT_API_SSL_CERT_FILE={path}: {reason}; set it to the "
                                      "PEM file of the certificate authority that signed the API's certificate, or "
                                      "unset it to use certifi's bundle")
        with temporary_settings({PREFECT_API_TLS_INSECURE_SKIP_VERIFY: True}):
            assert api_certificates_problem() is None  # no file is loaded then
    shutil.copy(certifi.where(), path if content is None else tmp_path / "good.pem")
    with temporary_settings({PREFECT_API_SSL_CERT_FILE: str(path if content is None else tmp_path / "good.pem")}):
        assert api_certificates_problem() is None


def test_prefect_clients_share_the_context_when_prefects_client_module_sees_the_proxy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import prefect.client.orchestration as orchestration

    from operations.fork_caches import ssl_with_remembered_contexts

    proxy = ssl_with_remembered_contexts()
    assert proxy.SSLContext is ssl.SSLContext and proxy.CERT_NONE is ssl.CERT_NONE
    monkeypatch.setattr(orchestration, "ssl", proxy)

    def context_of(client: Any) -> ssl.SSLContext:
        return client._client._transport._pool._ssl_context

    one = orchestration.PrefectClient("https://127.0.0.1:1/api")
    two = orchestration.PrefectClient("https://127.0.0.1:1/api")
    sync = orchestration.SyncPrefectClient("https://127.0.0.1:1/api")
    assert context_of(one) is context_of(two) is context_of(sync)
    assert ssl.create_default_context is not proxy.create_default_context  # the process's ssl is untouched


# -- CSRF tokens -------------------------------------------------------------------------------------------------


class CsrfServer(LoopbackHTTP):
    """Prefect's CSRF protocol: ``GET /api/csrf-token?client=ID`` makes (or replaces) the client's token; a POST
    must carry a client's current, unexpired token, else 403 "Invalid CSRF token or client identifier."; with
    protection off the handshake answers 422 "CSRF protection is disabled.". Unlike Prefect's server, a refusal
    says ``Retry-After: 0``: Prefect's client would otherwise wait 2 s before it asks again, which is not what is
    tested."""

    def __init__(self, *, protection: bool = True, lifetime: timedelta = timedelta(hours=1)) -> None:
        self.protection = protection
        self.lifetime = lifetime
        self.tokens: dict[str, tuple[str, datetime]] = {}
        self.handshakes: list[str] = []
        self.posts: list[str] = []
        self.lock = threading.Lock()
        server = self

        class Handler(JsonAnswers):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                client = parse_qs(url.query)["client"][0]
                with server.lock:
                    server.handshakes.append(client)
                    if not server.protection:
                        return self._answer(422, {"detail": "CSRF protection is disabled."})
                    token = secrets.token_hex(16)
                    expiration = datetime.now(UTC) + server.lifetime
                    server.tokens[client] = (token, expiration)
                self._answer(200, {"id": str(UUID(int=len(server.handshakes))), "token": token, "client": client,
                                   "expiration": expiration.isoformat()})

            def do_POST(self) -> None:
                client = self.headers.get("Prefect-Csrf-Client", "")
                with server.lock:
                    held = server.tokens.get(client)
                    valid = held is not None and held[0] == self.headers.get("Prefect-Csrf-Token") \
                        and held[1] > datetime.now(UTC)
                    server.posts.append(client)
                if server.protection and not valid:
                    return self._answer(403, {"detail": "Invalid CSRF token or client identifier."},
                                        {"Retry-After": "0"})
                self._answer(200, {"ok": True})

        super().__init__(Handler)

    def revoke(self, client: str) -> None:
        with self.lock:
            self.tokens.pop(client, None)


@pytest.fixture
def sharing(monkeypatch: pytest.MonkeyPatch) -> SharedCsrfToken:
    """Prefect's two HTTP client classes with the shared handshake installed, as the fork server installs it."""
    import prefect.client.base as client_base

    shared = SharedCsrfToken()
    for cls, wrap in ((client_base.PrefectHttpxAsyncClient, shared.async_handshake),
                      (client_base.PrefectHttpxSyncClient, shared.sync_handshake)):
        monkeypatch.setattr(cls, "_add_csrf_headers", wrap(cls._add_csrf_headers))
    return shared


def _post_from_new_clients(api: str, asynchronous: int, synchronous: int) -> list[int]:
    """One POST from each of that many new clients, as a forked run's engine, log and event workers make them."""
    import prefect.client.base as client_base

    statuses: list[int] = []
    for _ in range(synchronous):
        with client_base.PrefectHttpxSyncClient(base_url=api, enable_csrf_support=True) as client:
            statuses.append(client.post("/things").status_code)

    async def post_async() -> None:
        for _ in range(asynchronous):
            async with client_base.PrefectHttpxAsyncClient(base_url=api, enable_csrf_support=True) as client:
                statuses.append((await client.post("/things")).status_code)

    anyio.run(post_async)
    return statuses


def test_a_process_makes_one_handshake_for_all_its_clients(sharing: SharedCsrfToken) -> None:
    with CsrfServer() as server:
        assert _post_from_new_clients(f"{server.base}/api", asynchronous=3, synchronous=2) == [200] * 5
    assert len(server.handshakes) == 1
    assert set(server.posts) == {server.handshakes[0]}


def _workers_token(server: CsrfServer, api: str, *, expiration: datetime | None = None) -> CsrfSeed:
    """The handshake a worker made in its own process, as :class:`CsrfSeed` hands it to a forked run."""
    import httpx

    answer = httpx.get(f"{api}/csrf-token", params={"client": str(uuid4())}).json()
    return CsrfSeed(f"{api}/", UUID(answer["client"]), answer["token"],
                    expiration or datetime.fromisoformat(answer["expiration"]))


def _workers_post(api: str, seed: CsrfSeed) -> int:
    import httpx

    headers = {"Prefect-Csrf-Token": seed.token or "", "Prefect-Csrf-Client": str(seed.client_id)}
    return httpx.post(f"{api}/things", headers=headers).status_code


def test_a_run_seeded_with_its_workers_token_makes_none_and_a_refused_token_is_replaced_under_its_own_id(
        sharing: SharedCsrfToken) -> None:
    with CsrfServer() as server:
        api = f"{server.base}/api"
        seed = _workers_token(server, api)
        sharing.seed(seed)
        worker_id = str(seed.client_id)
        assert _post_from_new_clients(api, asynchronous=2, synchronous=1) == [200] * 3
        assert server.handshakes == [worker_id] and set(server.posts) == {worker_id}

        server.revoke(worker_id)  # the server no longer knows the token (a restart on a new database, say)
        assert _post_from_new_clients(api, asynchronous=2, synchronous=1) == [200] * 3
        assert len(server.handshakes) == 2 and server.handshakes[1] != worker_id  # one more, under its own id
        assert server.posts[-2:] == [server.handshakes[1]] * 2  # the later clients adopted the new token


def test_an_expired_token_is_renewed_without_replacing_the_workers(sharing: SharedCsrfToken) -> None:
    with CsrfServer() as server:
        api = f"{server.base}/api"
        seed = _workers_token(server, api, expiration=datetime.now(UTC) - timedelta(seconds=1))  # expired here
        sharing.seed(seed)
        assert _post_from_new_clients(api, asynchronous=1, synchronous=1) == [200, 200]
        assert len(server.handshakes) == 2 and server.handshakes[1] != str(seed.client_id)
        assert _workers_post(api, seed) == 200  # the worker's own token still holds


def test_the_seed_says_what_a_prefect_client_learnt() -> None:
    import prefect.client.base as client_base

    with CsrfServer() as server:
        api = f"{server.base}/api"
        with client_base.PrefectHttpxSyncClient(base_url=api, enable_csrf_support=True) as client:
            assert CsrfSeed.of(client) is None  # nothing asked yet
            client.post("/things")
            assert CsrfSeed.of(client) == CsrfSeed(f"{api}/", client.csrf_client_id, client.csrf_token,
                                                   client.csrf_token_expiration)
        server.protection = False
        with client_base.PrefectHttpxSyncClient(base_url=api, enable_csrf_support=True) as client:
            client.post("/things")
            assert CsrfSeed.of(client) == CsrfSeed(f"{api}/")


@pytest.mark.parametrize("seeded", [False, True])
def test_protection_off_is_learnt_once_or_taken_from_the_worker(sharing: SharedCsrfToken, seeded: bool) -> None:
    with CsrfServer(protection=False) as server:
        api = f"{server.base}/api"
        if seeded:
            sharing.seed(CsrfSeed(f"{api}/"))
        assert _post_from_new_clients(api, asynchronous=2, synchronous=2) == [200] * 4
    assert len(server.handshakes) == (0 if seeded else 1)
