"""What the warm worker read about a run (``operations/recent_reads.py``): a deployment read twice in a moment is
read once, and the run's process starts with the objects in Prefect's own related-resource cache, so its events
name them without asking the server again."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from operations import recent_reads
from operations.recent_reads import RecentReads, remember_related

pytestmark = pytest.mark.prefect_objects  # some tests here import Prefect


class CountingClient:
    """The three reads of Prefect's client the worker makes, counted (the server is not what is tested here)."""

    def __init__(self) -> None:
        self.reads: list[str] = []

    async def read_deployment(self, object_id):
        self.reads.append(f"deployment {object_id}")
        return {"deployment": str(object_id), "read": len(self.reads)}

    async def read_flow(self, object_id):
        self.reads.append(f"flow {object_id}")
        return {"flow": str(object_id)}

    async def read_work_queue(self, object_id):
        self.reads.append(f"queue {object_id}")
        return {"queue": str(object_id)}


async def _twice(client, deployment):
    return await client.read_deployment(deployment), await client.read_deployment(deployment)


def test_a_deployment_read_twice_in_a_moment_is_read_once(monkeypatch) -> None:
    client = CountingClient()
    RecentReads(client)
    deployment = uuid.uuid4()
    first, second = asyncio.run(_twice(client, deployment))
    assert first is second and client.reads == [f"deployment {deployment}"]


def test_an_older_read_is_read_again(monkeypatch) -> None:
    monkeypatch.setattr(recent_reads, "FRESH_SECONDS", 0.0)  # every earlier read is too old
    client = CountingClient()
    RecentReads(client)
    deployment = uuid.uuid4()
    first, second = asyncio.run(_twice(client, deployment))
    assert first != second and len(client.reads) == 2


def test_the_run_process_names_the_objects_without_asking_the_server() -> None:
    from prefect.client.schemas.objects import FlowRun, WorkPool
    from prefect.events import related

    client = CountingClient()
    reads = RecentReads(client)
    flow_id, deployment_id, queue_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    run = FlowRun(id=uuid.uuid4(), name="load-001", flow_id=flow_id, deployment_id=deployment_id,
                  work_queue_id=queue_id, work_pool_name="tarjama")
    pool = WorkPool(name="tarjama", type="tarjama")

    async def worker_then_run():
        await client.read_deployment(deployment_id)
        await client.read_flow(flow_id)
        known = await reads.related(run, pool)
        related.RESOURCE_CACHE.clear()  # the run's process: a fresh cache, then the worker's objects
        remember_related(known)

        async def refuse(object_id):
            raise AssertionError(f"read {object_id} again")

        found = {}
        for kind, object_id in (("flow", flow_id), ("deployment", deployment_id), ("work-queue", queue_id),
                                ("work-pool", "tarjama")):
            entry = await related._get_and_cache_related_object(kind=kind, role=kind, client_method=refuse,
                                                                obj_id=object_id, cache=related.RESOURCE_CACHE)
            found[kind] = entry["object"]
        return found

    try:
        found = asyncio.run(worker_then_run())
    finally:
        related.RESOURCE_CACHE.clear()
    assert found["flow"] == {"flow": str(flow_id)} and found["deployment"]["deployment"] == str(deployment_id)
    assert found["work-queue"] == {"queue": str(queue_id)} and found["work-pool"] is pool
    assert client.reads == [f"deployment {deployment_id}", f"flow {flow_id}", f"queue {queue_id}"]


def test_nothing_known_leaves_the_cache_alone() -> None:
    from prefect.events import related

    before = dict(related.RESOURCE_CACHE)
    remember_related({})
    assert before == related.RESOURCE_CACHE
