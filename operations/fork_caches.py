"""What every forked run would otherwise redo for itself, done once by the fork server and shared.

A run's process is forked from the fork server (:mod:`operations.warm_worker`) and opens three or four Prefect API
clients of its own (the engine's, the log and event workers', the suspension observer's). Each one, as Prefect
writes it, loads the certificate bundle into a new TLS context (10 % of a forked run's CPU, even for an
``http://`` API) and makes its own CSRF handshake (a request, and on a server with CSRF protection a token written
to its database); the run loads Prefect's logging configuration by templating it with every setting; and it builds
the pydantic models of Prefect's API it uses, which Prefect declares to be built on first use. Prefect offers no
cache for the first three, so these are monkeypatches, installed in the fork server only
(:mod:`operations.fork_preload`), each keyed on everything its answer depends on; the models are simply built there.
"""

from __future__ import annotations

import copy
import os
import ssl
import string
import threading
import types
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4


def remembered_logging_config(load: Callable[[Path], dict[str, Any]]) -> Callable[[Path], dict[str, Any]]:
    """Prefect's ``load_logging_config``, remembering its last answer: the fork server loads the configuration
    once and a forked run gets a copy while what the answer depends on is unchanged (loading it templates the YAML
    with every setting as a variable: 50 to 60 ms of CPU per run here).

    The answer depends on the file's text, the settings it names (``$PREFECT_LOGGING_LEVEL``...) and the
    ``PREFECT_LOGGING_<path>`` variables that override its entries, so those are the key: not every setting,
    since a deployment's job variables (its heartbeat, say) differ from the fork server's in every run."""
    last: list[tuple[tuple[str, tuple[Any, ...]], dict[str, str | None], dict[str, Any]]] = []

    def load_logging_config(path: Path) -> dict[str, Any]:
        text = path.read_text()
        named = _named_settings(text)
        if named is None:  # a name Prefect's legacy settings do not resolve: not remembered
            return load(path)
        key = (text, named)
        if not last or last[0][0] != key or any(os.environ.get(name) != value for name, value in last[0][1].items()):
            config = load(path)
            overrides = {name: os.environ.get(name) for name in _override_variables(config)}
            last[:] = [(key, overrides, config)]
        return copy.deepcopy(last[0][2])  # dictConfig consumes the dicts it is given

    return load_logging_config


def _named_settings(text: str) -> tuple[Any, ...] | None:
    """The values of the settings a logging template names, in order (None if one is not a setting's name)."""
    import prefect.settings
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    try:
        return tuple(getattr(prefect.settings, name).value_from(settings)
                     for name in string.Template(text).get_identifiers())
    except AttributeError:
        return None


def _override_variables(config: dict[str, Any]) -> list[str]:
    """The variables Prefect's ``load_logging_config`` reads to override the entries of ``config``, named as it
    names them."""
    from prefect.logging.configuration import to_envvar
    from prefect.utilities.collections import dict_to_flatdict

    return [to_envvar("PREFECT_LOGGING_" + "_".join(key)).upper() for key in dict_to_flatdict(config)]


def remembered_tls_contexts(create: Callable[..., ssl.SSLContext]) -> Callable[..., ssl.SSLContext]:
    """``ssl.create_default_context`` as Prefect's API clients call it (verifying against one certificate file:
    certifi's bundle or ``PREFECT_API_SSL_CERT_FILE``), one context per file while the file is unchanged. A
    context is meant to be shared by connections; Prefect's clients never change a verifying one (only the
    context of ``PREFECT_API_TLS_INSECURE_SKIP_VERIFY``, made without a file, so made anew each time)."""
    made: dict[tuple[str, int, int], ssl.SSLContext] = {}
    lock = threading.Lock()

    def create_default_context(purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH, *, cafile: Any = None,
                               capath: Any = None, cadata: Any = None) -> ssl.SSLContext:
        if cafile is None or capath is not None or cadata is not None or purpose != ssl.Purpose.SERVER_AUTH:
            return create(purpose, cafile=cafile, capath=capath, cadata=cadata)
        status = os.stat(cafile)
        key = (os.fspath(cafile), status.st_mtime_ns, status.st_size)
        with lock:
            if key not in made:
                made.clear()  # an older version of the file: its context is not used again
                made[key] = create(purpose, cafile=cafile)
            return made[key]

    return create_default_context


def ssl_with_remembered_contexts() -> types.ModuleType:
    """The ``ssl`` module as a proxy whose ``create_default_context`` remembers, to stand in for ``ssl`` in the
    one module that should see it (Prefect's client), not in the whole process."""
    proxy = types.ModuleType("ssl", ssl.__doc__)
    proxy.__dict__.update(vars(ssl))
    proxy.create_default_context = remembered_tls_contexts(ssl.create_default_context)  # type: ignore[attr-defined]
    return proxy


@dataclass(frozen=True)
class CsrfSeed:
    """A token another process holds (the worker's), for a forked run's clients to start with: ``token`` None
    when that process found the server's CSRF protection off."""

    api: str
    client_id: UUID | None = None
    token: str | None = None
    expiration: datetime | None = None

    @classmethod
    def of(cls, http_client: Any) -> CsrfSeed | None:
        """What a Prefect HTTP client (``PrefectClient._client``) has learnt, if anything."""
        api = str(http_client.base_url)
        if not http_client.enable_csrf_support:
            return cls(api)
        if http_client.csrf_token:
            return cls(api, http_client.csrf_client_id, http_client.csrf_token, http_client.csrf_token_expiration)
        return None


class SharedCsrfToken:
    """One CSRF token per API for every Prefect client of a process, where Prefect's clients each make their own
    handshake (``_add_csrf_headers``). A client adopts the token another one fetched or the worker handed over
    (:class:`CsrfSeed`); a token the server refused (403, which makes Prefect's client clear it and shake hands
    again) is not adopted again; a new handshake is made under a client id of this process's own, so that it
    never replaces the worker's token (when the worker renews its own, hourly by default, a run still holding the
    old one is refused once and makes its own); a server that has CSRF protection off (422) is remembered as
    such, as each of Prefect's clients remembers it for itself."""

    OFF = "off"

    def __init__(self) -> None:
        self._held: dict[str, tuple[UUID, str, datetime | None] | str] = {}
        self._seeded_ids: set[UUID] = set()

    def seed(self, seed: CsrfSeed | None) -> None:
        """Start with what another process learnt."""
        if seed is None:
            return
        if seed.token is None:
            self._held[seed.api] = self.OFF
        elif seed.client_id is not None:
            self._held[seed.api] = (seed.client_id, seed.token, seed.expiration)
            self._seeded_ids.add(seed.client_id)

    def before(self, client: Any) -> None:
        """Give ``client`` the process's token, or tell it the server has CSRF protection off."""
        if not client.enable_csrf_support:
            return
        api = str(client.base_url)
        held = self._held.get(api)
        if held == self.OFF:
            client.enable_csrf_support = False
            return
        if not client.csrf_token and isinstance(held, tuple):
            if held[1] == client.__dict__.get("_shared_csrf_token"):  # its token, cleared: the server refused it
                self._held.pop(api, None)
            else:
                client.csrf_client_id, client.csrf_token, client.csrf_token_expiration = held
        expiration = client.csrf_token_expiration
        stale = not client.csrf_token or (expiration is not None and datetime.now(UTC) > expiration)
        if stale and client.csrf_client_id in self._seeded_ids:
            client.csrf_client_id = uuid4()  # a handshake under the worker's id would replace the worker's token

    def after(self, client: Any) -> None:
        """Share what ``client`` learnt: its token, or that the server has CSRF protection off."""
        api = str(client.base_url)
        if not client.enable_csrf_support:
            self._held[api] = self.OFF
        elif client.csrf_token:
            self._held[api] = (client.csrf_client_id, client.csrf_token, client.csrf_token_expiration)
            client.__dict__["_shared_csrf_token"] = client.csrf_token

    def async_handshake(self, add: Callable[[Any, Any], Awaitable[None]]) -> Callable[[Any, Any], Awaitable[None]]:
        """Prefect's async client's ``_add_csrf_headers``, sharing."""
        async def _add_csrf_headers(client: Any, request: Any) -> None:
            self.before(client)
            await add(client, request)
            self.after(client)

        return _add_csrf_headers

    def sync_handshake(self, add: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        """Prefect's sync client's ``_add_csrf_headers``, sharing."""
        def _add_csrf_headers(client: Any, request: Any) -> None:
            self.before(client)
            add(client, request)
            self.after(client)

        return _add_csrf_headers


def _api_certificates() -> str:
    """The certificate file Prefect's clients verify the API against (as ``PrefectClient`` chooses it)."""
    import certifi
    from prefect.settings import PREFECT_API_SSL_CERT_FILE

    return PREFECT_API_SSL_CERT_FILE.value() or certifi.where()


def build_deferred_models() -> int:
    """Build Prefect's API models now, in the fork server. Prefect declares them with pydantic's ``defer_build``,
    so every forked run built again the ones it used, on first use: FlowRun in ``read_flow_run``, the deployment,
    the flow-run input, the events filter of the suspension observer... That was 12 % of a forked run's CPU
    (py-spy over 90 runs of a burst). A model built here is one its children find built. This covers only the
    models already imported; returns how many were built."""
    from pydantic import BaseModel

    def subclasses(cls: type[BaseModel]) -> list[type[BaseModel]]:
        found = []
        for sub in cls.__subclasses__():
            found += [sub, *subclasses(sub)]
        return found

    built = 0
    for model in dict.fromkeys(subclasses(BaseModel)):
        if model.__module__.startswith("prefect.") and not model.__pydantic_complete__:
            model.model_rebuild(force=True, raise_errors=False)  # one that names what is not imported: built on use
            built += model.__pydantic_complete__
    return built


def api_certificates_problem() -> str | None:
    """Why Prefect's API clients cannot be made with the certificate file they verify against (None when they
    can, or when verification is off), as the settings resolve it (a profile's included)."""
    from prefect.settings import PREFECT_API_TLS_INSECURE_SKIP_VERIFY

    from operations.prefect_env import certificate_file_problem

    return None if PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value() else certificate_file_problem(_api_certificates())


def install() -> None:
    """All four, in this process (the fork server's: its forked runs inherit them)."""
    import prefect.client.base as client_base
    import prefect.client.orchestration as orchestration
    import prefect.logging.configuration as logging_configuration

    logging_configuration.load_logging_config = remembered_logging_config(logging_configuration.load_logging_config)
    orchestration.ssl = ssl_with_remembered_contexts()  # type: ignore[attr-defined]
    try:
        orchestration.ssl.create_default_context(cafile=_api_certificates())  # made here, so runs fork with it
    except (OSError, ssl.SSLError):  # a file Prefect cannot load: the worker says why and stops (its setup)
        pass
    shared = CSRF
    client_base.PrefectHttpxAsyncClient._add_csrf_headers = shared.async_handshake(  # type: ignore[method-assign]
        client_base.PrefectHttpxAsyncClient._add_csrf_headers)
    client_base.PrefectHttpxSyncClient._add_csrf_headers = shared.sync_handshake(  # type: ignore[method-assign]
        client_base.PrefectHttpxSyncClient._add_csrf_headers)
    build_deferred_models()


CSRF = SharedCsrfToken()
"""The process's one (the fork server installs it; a forked run seeds it with its worker's token)."""
