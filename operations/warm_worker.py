"""A Prefect worker whose flow runs start warm: each run is a process forked from one that has imported Prefect.

Prefect's process worker starts ``python -m prefect.engine`` for every flow run
and again for every resumption after a review decision; importing Prefect and
the flow costs 2.5 to 3.3 s of CPU on a small machine, every time. This worker
type (``tarjama``) runs the very same engine entry point in a process forked
from a fork server (the standard library's ``multiprocessing`` forkserver, a
clean single-threaded interpreter that imported Prefect and the flow's modules
once). So every run still has a process of its own: its own memory, settings,
caches and catalog-store locks, killed alone on cancellation, detected by its
exit code when it dies. Everything else is Prefect's process worker: the job
template, pull steps, the control channel for cancellation, crash handling,
heartbeats, logs and artifacts.

Operators keep their habits: ``prefect worker start --pool tarjama`` (the
pool's type names this worker; Prefect finds it through the
``prefect.collections`` entry point); ``tarjama serve`` runs one in its
process.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import runpy
import sys
import tempfile
import threading
import warnings
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

import anyio
import anyio.abc
from prefect.context import SettingsContext, get_settings_context
from prefect.flows import load_flow_from_flow_run
from prefect.runner._flow_run_executor import FlowRunExecutionResult, FlowRunExecutorContext
from prefect.runner._process_manager import ProcessHandle
from prefect.settings import PREFECT_CLIENT_MAX_RETRIES, Settings, get_current_settings
from prefect.workers.process import ProcessJobConfiguration, ProcessVariables, ProcessWorker, ProcessWorkerResult

from operations.fork_caches import CSRF, CsrfSeed, api_certificates_problem
from operations.handover import HANDOVER
from operations.pool_events import PollsOnEvents
from operations.recent_reads import RecentReads, remember_related
from operations.run_labels import RunLabeller

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun
    from prefect.runner._control_channel import ControlChannel

WORKER_TYPE = "tarjama"
PRELOAD = ["__main__", "prefect.flow_engine", "prefect.engine", __name__, "operations.fork_preload"]
"""What the fork server imports once, so that a run's process starts with it loaded (``__main__`` first, as
multiprocessing wants: the children then skip re-running the worker's own script)."""

RUN_DEFAULTS = {"PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED": "false"}
"""Defaults of every forked run's environment (a value the operator set wins). The worker checked the server's
version when it started, so its runs need not ask again (Prefect's setting for "worker subprocesses that inherit
a known-compatible server configuration"): two requests and a TLS context fewer per run."""

_fork_server: multiprocessing.context.ForkServerContext | None = None
_fork_server_lock = threading.Lock()


def fork_server() -> multiprocessing.context.ForkServerContext:
    """The worker's one fork server (a separate interpreter, so no thread of the worker is ever forked); running
    once this returns, its imports done before it forks the first run."""
    global _fork_server
    with _fork_server_lock:
        if _fork_server is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            multiprocessing.forkserver.ensure_running()
            _fork_server = context
        return _fork_server


def run_engine(flow_run_id: str, env: dict[str, str], cwd: str, known: dict[str, Any] | None = None,
               csrf: CsrfSeed | None = None) -> None:
    """In the forked child: become the process ``python -m prefect.engine`` would have been, then run it
    (``known``: the objects its worker just read, which its events name, :mod:`operations.recent_reads`;
    ``csrf``: its worker's CSRF token, :mod:`operations.fork_caches`)."""
    os.environ.clear()
    os.environ.update(env)
    sys.path[:] = [os.path.abspath(entry) for entry in sys.path]  # "" meant the worker's folder, not the run's
    os.chdir(cwd)
    import prefect.context
    from prefect.logging.configuration import setup_logging

    prefect.context.refresh_global_settings_context()  # the run's own settings, not the fork server's
    setup_logging(incremental=False)
    remember_related(known or {})
    CSRF.seed(csrf)
    sys.argv = ["prefect.engine", flow_run_id]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*found in sys.modules.*", category=RuntimeWarning)
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)


class ForkedProcess:
    """A run's process as Prefect's process manager sees one: a pid, and an exit code once it ended."""

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self._process = process
        self.pid: int | None = process.pid
        self.returncode: int | None = None

    async def wait(self) -> int | None:
        await anyio.wait_readable(self._process.sentinel)  # the fork server writes the exit status there
        self._process.join()
        self.returncode = self._process.exitcode
        self._process.close()  # its file descriptors, at once: a worker runs thousands of these
        return self.returncode


_settings_env: tuple[Settings, dict[str, str]] | None = None


def settings_as_environment() -> dict[str, str]:
    """The worker's Prefect settings as its runs' variables, as Prefect's process starter gives them; computed
    once per settings object (18 ms of CPU each time, in the worker every run waits on)."""
    global _settings_env
    settings = get_current_settings()
    if _settings_env is None or _settings_env[0] is not settings:
        _settings_env = (settings, settings.to_environment_variables(exclude_unset=True))
    return _settings_env[1]


class ForkedEngineStarter:
    """Prefect's ``ProcessStarter`` contract, with a forked child instead of a new interpreter.

    The environment is built as Prefect's ``EngineCommandStarter`` builds it: the job's, then the worker's
    Prefect settings, then the run's identity and control-channel session."""

    def __init__(self, *, cwd: Path, env: dict[str, str | None], control_channel: ControlChannel | None,
                 known: dict[str, Any] | None = None, csrf: CsrfSeed | None = None) -> None:
        self._cwd = cwd
        self._env = env
        self._control_channel = control_channel
        self._known = known or {}
        self._csrf = csrf

    def environment(self, flow_run: FlowRun) -> dict[str, str]:
        env: dict[str, str | None] = {**RUN_DEFAULTS, **os.environ, **self._env}
        env.update(settings_as_environment())
        env.update({"PREFECT__FLOW_RUN_ID": str(flow_run.id), "PREFECT__ENABLE_CANCELLATION_AND_CRASHED_HOOKS": "false"})
        if self._control_channel is not None:
            try:
                port, token = self._control_channel.register(flow_run.id)
                env.update({"PREFECT__CONTROL_PORT": str(port), "PREFECT__CONTROL_TOKEN": token})
            except RuntimeError:  # no loopback listener: Prefect falls back to kill-only cancellation
                pass
        return {key: value for key, value in env.items() if value is not None}

    async def start(self, flow_run: FlowRun,
                    task_status: anyio.abc.TaskStatus[ProcessHandle] = anyio.TASK_STATUS_IGNORED) -> None:
        env = self.environment(flow_run)
        process = fork_server().Process(target=run_engine, name=f"flow-run-{flow_run.id}", daemon=False,
                                        args=(str(flow_run.id), env, str(self._cwd), self._known, self._csrf))
        try:
            await anyio.to_thread.run_sync(process.start)  # the first start launches the fork server
        except BaseException:
            if self._control_channel is not None:
                self._control_channel.unregister(flow_run.id)
            raise
        child = ForkedProcess(process)
        task_status.started(ProcessHandle(child))  # type: ignore[arg-type]  # pid and returncode are all it reads
        await child.wait()


class TarjamaWorker(PollsOnEvents, ProcessWorker):
    """Prefect's process worker, with runs forked warm (see the module's docstring) and started as soon as the
    server says a run is scheduled (:mod:`operations.pool_events`)."""

    type: ClassVar[str] = WORKER_TYPE  # type: ignore[misc]
    job_configuration = ProcessJobConfiguration
    job_configuration_variables = ProcessVariables
    _description = ("Execute flow runs as processes forked from a warm fork server: each run is isolated in its "
                    "own process, without paying Python's and Prefect's start-up for every run and resumption.")
    _display_name = "tarjama (warm process)"
    _documentation_url = "https://github.com/tarjama/tarjama#workers"

    _listening: anyio.CancelScope | None = None
    _executors: FlowRunExecutorContext | None = None
    _labeller: RunLabeller | None = None
    _no_retries: Settings | None = None
    _reads: RecentReads | None = None

    async def setup(self) -> None:
        problem = api_certificates_problem()
        if problem is not None:  # before Prefect's client raises it as a traceback, here and in every run
            raise SystemExit(f"tarjama worker: {problem}")
        await super().setup()
        self._reads = RecentReads(self.client)
        await anyio.to_thread.run_sync(fork_server)  # its imports while the worker polls, not in the first run
        self._in_flight = 0
        self._drained = anyio.Event()
        self._stopping = anyio.Event()
        await self._runs_task_group.start(self._hold_executors)  # type: ignore[union-attr]
        self._listening = anyio.CancelScope()
        self._runs_task_group.start_soon(self._listen_until_teardown)  # type: ignore[union-attr]
        self._labeller = RunLabeller(self._label_once, on_error=self._labels_not_set)
        self._runs_task_group.start_soon(self._labeller.serve)  # type: ignore[union-attr]

    async def _hold_executors(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """One executor context for the worker's life, as Prefect's runner keeps one: an API client, the
        cancellation observer (a subscription to the server's events) and the control channel's listener. Prefect's
        process worker builds all three for every run, which cost each run 0.3 to 1.1 s before its process
        started, and the server two requests (bench_workers). Held by a task of its own (anyio wants a context
        left by the task that entered it) until the worker stops and its runs have ended."""
        async with FlowRunExecutorContext() as ctx:
            self._executors = ctx
            task_status.started()
            await self._stopping.wait()
            if self._in_flight:
                await self._drained.wait()
        self._executors = None

    async def _listen_until_teardown(self) -> None:
        assert self._listening is not None
        with self._listening:
            await self.listen()

    async def _submit_run(self, flow_run: FlowRun) -> None:
        await HANDOVER.wait_open()  # a burst being handed over in this process first (operations.handover)
        await super()._submit_run(flow_run)

    async def _give_worker_labels_to_flow_run(self, flow_run_id: UUID) -> None:
        """Prefect's worker awaits this PATCH before it starts a run, with its client's retries of a busy server's
        503 (2, 4, 8, 16 and 30 s): on SQLite under a burst that held runs and their pool slots back for up to a
        minute. The labels only name the worker in the UI: they go beside the start (:mod:`operations.run_labels`)."""
        if self._labeller is not None:
            self._labeller.add(flow_run_id)

    async def _label_once(self, flow_run_id: UUID) -> None:
        """Prefect's labelling, one request: its client's retries off for this task only (a settings context)."""
        if self._no_retries is None:
            self._no_retries = get_current_settings().copy_with_update(updates={PREFECT_CLIENT_MAX_RETRIES: 0})
        with SettingsContext(profile=get_settings_context().profile, settings=self._no_retries):
            await super()._give_worker_labels_to_flow_run(flow_run_id)

    def _labels_not_set(self, flow_run_id: UUID, error: BaseException) -> None:
        self._logger.debug("labels of flow run %s not set: %s", flow_run_id, error)

    async def teardown(self, *exc_info: object) -> None:
        if self._listening is not None:
            self._listening.cancel()
        if self._labeller is not None:
            self._labeller.close()  # runs still waiting for labels go without
        if getattr(self, "_stopping", None) is not None:
            self._stopping.set()  # the executor context ends once the runs in flight have
        await super().teardown(*exc_info)

    async def run(self, flow_run: FlowRun, configuration: ProcessJobConfiguration,
                  task_status: anyio.abc.TaskStatus[int] | None = None) -> ProcessWorkerResult:
        if configuration._command_configured:  # an explicit command is opaque: started as Prefect starts it
            return await super().run(flow_run, configuration, task_status)
        if task_status is None:
            task_status = anyio.TASK_STATUS_IGNORED
        folder = (nullcontext(configuration.working_dir) if configuration.working_dir
                  else tempfile.TemporaryDirectory(suffix="prefect"))
        ctx = self._executors
        assert ctx is not None, "the worker is not set up"
        self._in_flight += 1
        if self._in_flight == 1:
            self._drained = anyio.Event()
        try:
            return await self._run_forked(ctx, flow_run, configuration, folder, task_status)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._drained.set()

    async def _run_forked(self, ctx: FlowRunExecutorContext, flow_run: FlowRun,
                          configuration: ProcessJobConfiguration, folder: AbstractContextManager[str | Path],
                          task_status: anyio.abc.TaskStatus[int]) -> ProcessWorkerResult:
        known = await self._reads.related(flow_run, self._work_pool) if self._reads is not None else {}
        with folder as working_dir:
            starter = ForkedEngineStarter(cwd=Path(working_dir).resolve(), env=configuration.env,
                                          control_channel=ctx.control_channel, known=known,
                                          csrf=CsrfSeed.of(self.client._client))
            executor = ctx.create_executor(flow_run, starter, resolve_flow=load_flow_from_flow_run,
                                           propose_submitting=False)
            execution: FlowRunExecutionResult | None = None

            async def execute(*, task_status: anyio.abc.TaskStatus[ProcessHandle] = anyio.TASK_STATUS_IGNORED
                              ) -> None:
                nonlocal execution
                execution = await executor.submit(task_status=task_status)

            async with anyio.create_task_group() as group:
                handle = await group.start(execute)
                if handle.pid is None:
                    raise RuntimeError("Flow run process has no PID")
                task_status.started(handle.pid)
        if execution is None or execution.status_code is None:
            raise RuntimeError("Failed to start flow run process.")
        return ProcessWorkerResult(status_code=execution.status_code, identifier=str(execution.handle.pid))


def worker_class(execution: str) -> type[ProcessWorker]:
    """The worker ``[workers] execution`` names: warm (this module's) or Prefect's process worker; its ``type``
    is the pool's."""
    return TarjamaWorker if execution == "warm" else ProcessWorker


async def run_worker(pool: str, execution: str, *, limit: int | None = None) -> None:
    """A worker of the pool in this process until cancelled."""
    worker = worker_class(execution)(work_pool_name=pool, limit=limit, create_pool_if_not_found=False)
    await worker.start()  # it enters its own context, as `prefect worker start` leaves it to (entering it twice
    # would set the worker up twice: two API clients, two run groups)
