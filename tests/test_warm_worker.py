"""The warm worker (``operations/warm_worker.py``) keeps what a process per run gives: each run its own process
and state, cancellation that stops one run only, a dead run's process reported Crashed, the worker unharmed."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from operations.stack import Child
from tests.support.waiting import wait_for

POOL = "warm-probe"


def _state(client, run_id) -> str:
    return client.read_flow_run(run_id).state.name


def test_each_run_is_a_process_of_its_own_cancelled_or_crashed_alone(prefect_harness, tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.deployments import run_deployment
    from prefect.deployments.runner import EntrypointType
    from prefect.states import Cancelling

    from operations.warm_worker import WORKER_TYPE, TarjamaWorker
    from tests.support.probe_flow import probe

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=POOL, type=WORKER_TYPE,
                                               base_job_template=TarjamaWorker.get_default_base_job_template()))
    probe.to_deployment(name="probe", entrypoint_type=EntrypointType.MODULE_PATH).apply(work_pool_name=POOL)
    # the worker polls once as it starts, then every 600 s: a run created after that starts because the server's
    # event stream said it was scheduled (operations/pool_events.py), or not within the test
    env = {**os.environ, "PREFECT_API_URL": prefect_harness, "PREFECT_WORKER_QUERY_SECONDS": "600"}
    worker = Child("worker", [sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--name", "probe"],
                   env, tmp_path / "worker.log")
    try:
        runs = {name: run_deployment("probe/probe", parameters={"folder": str(tmp_path), "name": name}, timeout=0,
                                     job_variables={"env": {"TARJAMA_PROBE": name}}, as_subflow=False)
                for name in ("a", "b", "c")}

        def reports() -> dict | None:
            assert worker.alive(), worker.log.read_text(errors="replace")[-3000:]
            with get_client(sync_client=True) as client:
                ended = [name for name, run in runs.items() if _state(client, run.id) in ("Crashed", "Failed")]
            assert not ended, worker.log.read_text(errors="replace")[-3000:]  # a run that cannot start says why
            found = {name: tmp_path / f"{name}.json" for name in runs}
            if all(path.exists() for path in found.values()):
                return {name: json.loads(path.read_text(encoding="utf-8")) for name, path in found.items()}
            return None

        seen = wait_for(reports, 180, "three probe runs to report from their processes")
        pids = {report["pid"] for report in seen.values()}
        assert len(pids) == 3 and worker.proc.pid not in pids, seen  # one process each, none the worker's
        for name, report in seen.items():
            assert report["probe"] == name, seen  # its own job variables, not another run's or the worker's
            assert report["runs_in_this_process"] == [name], seen  # no state left by another run
        assert len({report["ppid"] for report in seen.values()}) == 1, seen  # all forked by the one fork server

        with get_client(sync_client=True) as client:
            client.set_flow_run_state(runs["a"].id, Cancelling(), force=True)  # what the UI's Cancel does
            wait_for(lambda: _state(client, runs["a"].id) == "Cancelled", 120, "run a to be cancelled")
            wait_for(lambda: not _alive(seen["a"]["pid"]), 60, "run a's process to end")
            assert _alive(seen["b"]["pid"]) and _alive(seen["c"]["pid"])  # the others go on

            os.kill(seen["b"]["pid"], signal.SIGKILL)  # run b's process dies
            wait_for(lambda: _state(client, runs["b"].id) == "Crashed", 120, "run b to be reported Crashed")
            message = client.read_flow_run(runs["b"].id).state.message
            assert "-9" in message or "SIGKILL" in message or "killed" in message.lower(), message

            (tmp_path / "c.release").write_text("", encoding="utf-8")
            wait_for(lambda: _state(client, runs["c"].id) == "Completed", 120, "run c to complete")

            late = run_deployment("probe/probe", parameters={"folder": str(tmp_path), "name": "d"}, timeout=0,
                                  job_variables={"env": {"TARJAMA_PROBE": "d"}}, as_subflow=False)
            wait_for(lambda: (tmp_path / "d.json").exists(), 120, "run d, created after the worker's poll, to start")
            (tmp_path / "d.release").write_text("", encoding="utf-8")
            wait_for(lambda: _state(client, late.id) == "Completed", 120, "run d to complete")
        assert worker.alive()
    finally:
        worker.stop()
        for name in ("a", "b", "c", "d"):
            (tmp_path / f"{name}.release").write_text("", encoding="utf-8")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return not stat.read().rsplit(") ", 1)[1].startswith("Z")
    except OSError:
        return False

