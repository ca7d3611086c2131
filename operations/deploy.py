"""``tarjama deploy``: the production topology on a Prefect server, applied idempotently.

* a **process work pool** (``[workers] pool``, default ``tarjama``) whose
  concurrency limit (``[workers] drafting``) decides how many runs draft at
  once across every worker; a run waiting for review is Suspended and holds
  no slot;
* the **deployment** ``translate-article/tarjama`` on that pool, with the same
  Run form as ``tarjama serve``'s; its entrypoint is a module path, so any
  machine where tarjama is installed runs it (``prefect worker start --pool
  tarjama``), and the workspace is a parameter: a shared directory mounted at
  the same path on every machine;
* one **global concurrency limit** per provider quota (:mod:`flows.quotas`);
* the **restart automations**: a drafting run sends a heartbeat every
  ``[workers] heartbeat_seconds``; a run that falls silent for
  ``restart_after_seconds`` without settling (its worker's machine died: the
  run was Pending, Running or drafting), or that reports Crashed (its worker
  was stopped with it), is put back in Scheduled, and another worker takes it. The run replays from the top: the
  item lock died with the process, drafts already written are kept, a
  translator's work is never overwritten.

Running it again changes only what differs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate, WorkPoolUpdate
from prefect.client.schemas.objects import StateType
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.exceptions import ObjectNotFound

from flows.names import DEPLOYMENT, DEPLOYMENT_NAME, RESCHEDULED
from flows.quotas import ensure_quota_limits
from flows.translate_article import translate_article
from operations.warm_worker import worker_class
from tarjama.errors import TarjamaError
from tarjama.settings import Settings
from tarjama.workspace import Workspace

RESTART_AUTOMATION = "tarjama: reschedule runs whose worker stopped"
CRASH_AUTOMATION = "tarjama: reschedule crashed runs"
ALIVE_AFTER = {f"prefect.flow-run.{name}" for name in ("heartbeat", "Pending", "Running")}
"""A run given to a worker (Pending), started (Running) or drafting (heartbeat) must show life again..."""
ALIVE_OR_SETTLED = {f"prefect.flow-run.{name}" for name in ("heartbeat", "Running", "Completed", "Failed", "Cancelled",
                                                             "Cancelling", "Crashed", "Suspended", "Paused")}
"""...by one of these, within ``restart_after_seconds``; a run waiting for review (Suspended) holds no process."""


def translate_deployment(workspace: Workspace, *, job_variables: dict | None = None) -> RunnerDeployment:
    """The translate-article deployment with its Run form; its entrypoint is a module path (any machine where
    tarjama is installed runs it)."""
    return translate_article.to_deployment(
        name=DEPLOYMENT_NAME,
        parameters={"workspace": str(workspace.root)},
        description="Translate an Arabic news item into reviewed French and English versions. Give the item's "
                    "file (content/inbox/...) or paste its headline and body.",
        tags=["tarjama"],
        job_variables=job_variables,
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


@dataclass(frozen=True)
class Deployed:
    pool: str
    deployment_id: UUID
    lines: list[str]


def deploy(workspace: Workspace, settings: Settings, *, drafting: int | None = None) -> Deployed:
    """Create or update the pool (``drafting`` runs at once, default ``[workers] drafting``), the deployment, the
    quota limits and the restart automation."""
    workers = settings.workers
    lines = [ensure_pool(workers.pool, drafting or workers.drafting, workers.execution)]
    env = {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(workers.heartbeat_seconds)}
    deployment_id = translate_deployment(workspace, job_variables={"env": env}).apply(
        work_pool_name=workers.pool)
    lines.append(f"deployment {DEPLOYMENT} on pool {workers.pool} (workspace {workspace.root})")
    lines += [f"provider quota {line}" for line in ensure_quota_limits(settings.mt_settings())]
    lines += ensure_restart_automations(deployment_id, workers.restart_after_seconds)
    return Deployed(workers.pool, deployment_id, lines)


def ensure_pool(name: str, drafting: int, execution: str) -> str:
    """The work pool, of the type the execution names (``tarjama``: warm processes; ``process``: Prefect's)."""
    worker = worker_class(execution)
    kind = worker.type
    with get_client(sync_client=True) as client:
        try:
            pool = client.read_work_pool(name)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=name, type=kind, concurrency_limit=drafting,
                                                   base_job_template=worker.get_default_base_job_template()))
            return f"work pool {name} ({kind}) created: {drafting} run(s) drafting at once"
        if pool.type != kind:
            raise TarjamaError(f"work pool {name!r} exists with type {pool.type!r}; [workers] execution = "
                               f"{execution!r} needs a {kind!r} pool: choose another name in [workers] pool, or "
                               f"delete it once no run uses it (prefect work-pool delete {name})")
        if pool.concurrency_limit != drafting:
            client.update_work_pool(name, WorkPoolUpdate(concurrency_limit=drafting))
        return f"work pool {name} ({kind}): {drafting} run(s) drafting at once"


def upsert_automation(automation: AutomationCore) -> str:
    """Create an automation, or replace the one of the same name when it differs; says which."""
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(automation.name)
        same = [a for a in existing if AutomationCore.model_validate(a.model_dump()) == automation]
        if same and len(existing) == 1:
            return "unchanged"
        for old in existing:
            client.delete_automation(old.id)
        client.create_automation(automation)
    return "updated" if existing else "created"


def ensure_restart_automations(deployment_id: UUID, silent_seconds: int) -> list[str]:
    """Two ways a worker's end shows: its runs fall silent (the machine died), or they report Crashed (the
    worker was stopped and its runs with it). Either way the run is scheduled again, for any worker."""
    silent = AutomationCore(
        name=RESTART_AUTOMATION,
        description="A run of translate-article that stopped sending heartbeats without settling lost its worker: "
                    "schedule it again for another worker.",
        trigger=EventTrigger(
            after=ALIVE_AFTER,
            expect=ALIVE_OR_SETTLED,
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.id": f"prefect.deployment.{deployment_id}"},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=dt.timedelta(seconds=silent_seconds),
        ),
        actions=[ChangeFlowRunState(state=StateType.SCHEDULED, name=RESCHEDULED, force=True,
                                    message=f"its worker stopped (no heartbeat for {silent_seconds} s): "
                                            "rescheduled for another worker")],
    )
    crashed = AutomationCore(
        name=CRASH_AUTOMATION,
        description="A run of translate-article that crashed (its process ended without an outcome: the worker or "
                    "its machine stopped) is scheduled again for another worker.",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Crashed"},
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related={"prefect.resource.id": f"prefect.deployment.{deployment_id}"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[ChangeFlowRunState(state=StateType.SCHEDULED, name=RESCHEDULED, force=True,
                                    message="it crashed (its worker stopped): rescheduled for another worker")],
    )
    return [f"automation {a.name!r}: {upsert_automation(a)}" for a in (silent, crashed)]
