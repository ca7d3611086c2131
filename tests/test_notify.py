"""`tarjama notify`'s posts: every milestone reaches the chat, those that come together too, each text as it was.

The unit tests call the blocks the way Prefect's actions service does (``anotify``, ``call``) against a loopback
chat; the integration test goes through the session's Prefect server: its triggers, its actions service and the
block it loads."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import httpx
import pytest
from pydantic import SecretStr

from tests.support.chat import ChatWebhook
from tests.support.waiting import wait_for

pytestmark = pytest.mark.prefect_objects  # the unit tests call Prefect's blocks

# what a real item's text can hold: quotes, a newline, Arabic, a template's braces, markup
TRICKY = 'نزوح "آلاف" الأسر\nfrom {{ body }} & <b>Gaza</b> \\ {% raw %}'


def _concurrently(calls) -> list:
    async def run():
        return await asyncio.gather(*calls, return_exceptions=True)

    return asyncio.run(run())


def test_prefects_webhook_block_loses_posts_sent_together() -> None:
    """Why tarjama does not use Prefect's Webhook block: a call that returns closes the transport every Webhook
    block shares, and the calls still in flight fail. If this starts failing, Prefect fixed it."""
    from prefect.blocks.webhook import Webhook

    with ChatWebhook(latency=0.3) as chat:
        async def post(n: int):
            block = Webhook(url=SecretStr(chat.base + "/hooks/newsroom"), method="POST")
            await asyncio.sleep(0.05 * n)  # staggered, all in flight while the first is answered
            return await block.call(payload={"text": str(n)})

        outcomes = _concurrently([post(n) for n in range(4)])
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert lost, "Prefect's Webhook block no longer loses concurrent calls: CallWebhook could serve again"


def test_the_chat_block_posts_every_text_as_it_is_even_together() -> None:
    from operations.notify import chat_block

    with ChatWebhook(latency=0.3) as chat:
        url = chat.base + "/hooks/newsroom"

        async def post(n: int):
            await asyncio.sleep(0.05 * n)
            await chat_block(url).anotify(body=f"{n}: {TRICKY}", subject="tarjama.review.waiting")

        outcomes = _concurrently([post(n) for n in range(6)])
        assert [o for o in outcomes if o is not None] == []
        assert sorted(chat.texts()) == sorted(f"{n}: {TRICKY}" for n in range(6))
        assert all(set(r["body"]) == {"text"} for r in chat.requests)  # {"text": ...} and nothing else
        assert {r["path"] for r in chat.requests} == {"/hooks/newsroom"}

        chat.script.append("unavailable")  # an error status is an error, not a post sent
        with pytest.raises(httpx.HTTPStatusError, match="503"):  # Prefect's actions service then tries again
            asyncio.run(chat_block(url).anotify(body="x"))


def test_the_chat_blocks_url_is_a_secret() -> None:
    from operations.notify import chat_block

    block = chat_block("https://hooks.example.org/services/T0/B0/s3cret")
    shown = json.dumps(block.model_dump(mode="json"))  # what the API and the UI get without include_secrets
    assert "s3cret" not in shown and "hooks.example.org" not in shown


@pytest.fixture
def notifications(prefect_harness):
    """`tarjama notify`'s block and automations on the session's server, against a loopback chat; removed after,
    so that no other test's milestones are posted."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    from operations.notify import BLOCK_NAME, NOTIFIED

    with ChatWebhook(latency=0.2) as chat:
        try:
            yield chat
        finally:
            with get_client(sync_client=True) as client:
                for name in NOTIFIED:
                    for automation in client.read_automations_by_name(name):
                        client.delete_automation(automation.id)
                for slug in ("custom-webhook", "webhook"):
                    try:
                        client.delete_block_document(
                            client.read_block_document_by_name(BLOCK_NAME, block_type_slug=slug).id)
                    except ObjectNotFound:  # absent already
                        pass


def test_every_milestone_of_a_burst_reaches_the_chat(notifications: ChatWebhook) -> None:
    """Twelve items wait for review at once and the chat is briefly down for one post: every item is announced,
    its text as it was. With Prefect's Webhook block some of them were lost (ReadError, not tried again)."""
    from prefect.blocks.webhook import Webhook
    from prefect.client.orchestration import get_client
    from prefect.events.worker import EventsWorker

    from flows.events import Milestone, emit_milestone
    from operations.notify import BLOCK_NAME, NOTIFIED, ensure_notifications
    from tarjama.settings import Settings

    chat = notifications
    url = chat.base + "/hooks/newsroom"
    Webhook(url=SecretStr(url), method="POST").save(BLOCK_NAME, overwrite=True)  # what earlier versions saved
    lines = ensure_notifications(url)
    assert all(url not in line for line in lines)  # the URL is a secret: never printed
    assert f"old Webhook block {BLOCK_NAME}: removed (it lost posts sent at the same time)" in lines
    assert all(line.endswith(("created", "updated")) for line in lines if line.startswith("automation "))
    again = ensure_notifications(url)
    assert all(line.endswith("unchanged") for line in again if line.startswith("automation "))
    assert not any(line.startswith("old Webhook block") for line in again)
    with get_client(sync_client=True) as client:
        stored = client.read_block_document_by_name(BLOCK_NAME, block_type_slug="custom-webhook",
                                                        include_secrets=False)
        assert url not in json.dumps(stored.model_dump(mode="json"))  # what the UI and the API show

    chat.script.append("unavailable")
    settings = Settings()
    slugs = [f"notify-burst-{n}" for n in range(12)]
    for slug in slugs:
        assert emit_milestone(Milestone.WAITING, settings, slug, ["fr", "en"], f"{slug} waits for review: {TRICKY}")
    EventsWorker.drain_all()

    def announced() -> Counter:
        said = Counter(t.split(" ", 1)[0] for t in chat.texts() if t.split(" ", 1)[0] in slugs)
        return said if set(said) == set(slugs) and sum(said.values()) > len(slugs) else Counter()

    said = wait_for(announced, 120, "the chat to hear of every item of the burst, the refused post again")
    assert sum(said.values()) == len(slugs) + 1  # one post refused (503) and sent again; none twice otherwise
    mine = [t for t in chat.texts() if t.split(" ", 1)[0] in slugs]
    desk = settings.notify.desk_url.rstrip("/")
    for slug in slugs:
        assert f"{slug} waits for review: {TRICKY} {desk}/review/{slug}/fr {desk}/review/{slug}/en" in mine

    with get_client(sync_client=True) as client:  # what operators see in the Event Feed: 12 sent, none failed
        waiting = client.read_automations_by_name(next(n for n, m in NOTIFIED.items() if m is Milestone.WAITING))

        def outcomes() -> Counter:
            found = client.request("POST", "/events/filter", json={"filter": {
                "event": {"name": ["prefect.automation.action.executed", "prefect.automation.action.failed"]},
                "resource": {"id": [f"prefect.automation.{waiting[0].id}"]}}, "limit": 50}).json()["events"]
            said = Counter(e["event"].rsplit(".", 1)[1] for e in found)
            return said if sum(said.values()) >= len(slugs) else Counter()

        assert wait_for(outcomes, 60, "the actions' outcomes in the Event Feed") == {"executed": len(slugs)}

