"""``tarjama notify``: Prefect automations that post to a chat webhook at the review milestones.

Nine automations, created or replaced idempotently, each sending a Prefect
notification through one Custom Webhook block (``tarjama-notify``) when its
event arrives (:mod:`flows.events`): a language waits for review, a review
nears its deadline (once), a review is overdue, changes were requested (with
the note), a language was published (with its pages), a breaking-news language
went out before review (review it now), the flash path kept a language for a
person (and why), a publication failed, an inbox item was refused.
The body is ``{"text": "..."}``, the shape Slack's and Mattermost's incoming
webhooks take (Microsoft Teams' Workflows webhooks want an Adaptive Card
instead: point them at a Slack-compatible relay, or edit the block's JSON in
the Prefect UI). The URL is a secret: it is kept in the block's secret values
(Prefect keeps them out of its UI and API answers), never printed.

Why not Prefect's ``CallWebhook`` action and Webhook block: in Prefect 3.9.1
every Webhook block shares one module-level HTTP transport, and each call
closes it when it returns (``async with self._client``), cutting the
connections of the calls still in flight. The automations' actions run two at
a time, so when milestones come together (a burst of items waiting for review)
some posts fail with ``ReadError`` and are never tried again. The Custom
Webhook block opens a client per call, and an error status (or a connection
that fails) makes Prefect's actions service try the post again, up to three
times, instead of counting it as sent.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.exceptions import ObjectNotFound
from prefect.types import SecretDict

from flows.events import Milestone
from operations.deploy import upsert_automation
from tarjama.webhooks import check_webhook

BLOCK_NAME = "tarjama-notify"
URL_SECRET = "webhook_url"  # the secret value the block's URL is filled from
TEXT = "{{ event.payload.text }}"  # the notification's body, rendered by Prefect from the event
POST_TIMEOUT_SECONDS = 10.0
NOTIFIED = {
    "tarjama: notify when a language waits for review": Milestone.WAITING,
    "tarjama: notify when a review is overdue": Milestone.OVERDUE,
    "tarjama: remind reviewers before a deadline": Milestone.REMINDER,
    "tarjama: notify when changes are requested": Milestone.CHANGES_REQUESTED,
    "tarjama: notify when a language is published": Milestone.PUBLISHED,
    "tarjama: notify when breaking news is published before review": Milestone.FLASH_PUBLISHED,
    "tarjama: notify when breaking news waits for a person": Milestone.FLASH_HELD,
    "tarjama: notify when a publication fails": Milestone.PUBLICATION_FAILED,
    "tarjama: notify when an inbox item is refused": Milestone.INBOX_REFUSED,
}


def chat_block(url: str) -> CustomWebhookNotificationBlock:
    """The block that posts ``{"text": <body>}`` to the chat; the URL only in its secret values."""
    return CustomWebhookNotificationBlock(
        name="tarjama", url="{{" + URL_SECRET + "}}", method="POST", json_data={"text": "{{body}}"},
        secrets=SecretDict({URL_SECRET: check_webhook(url)}), timeout=POST_TIMEOUT_SECONDS)


def ensure_notifications(url: str) -> list[str]:
    """Save the webhook block and create or replace the automations; one line per thing done."""
    block_id = chat_block(url).save(BLOCK_NAME, overwrite=True)
    lines = [f"webhook block {BLOCK_NAME}: posts to {urlsplit(url).hostname} (the URL is kept secret)"]
    for name, milestone in NOTIFIED.items():
        automation = AutomationCore(
            name=name,
            description=f"Post to the newsroom's chat on {milestone.value}",
            trigger=EventTrigger(expect={milestone.value}, match={"prefect.resource.id": "tarjama.item.*"},
                                 posture=Posture.Reactive, threshold=1),
            actions=[SendNotification(block_document_id=block_id, subject=milestone.value, body=TEXT)],
        )
        lines.append(f"automation {name!r}: {upsert_automation(automation)}")
    if _remove_old_webhook_block():
        lines.append(f"old Webhook block {BLOCK_NAME}: removed (it lost posts sent at the same time)")
    return lines


def _remove_old_webhook_block() -> bool:
    """The Webhook block earlier versions saved (the URL's other copy); True when there was one."""
    with get_client(sync_client=True) as client:
        try:
            old = client.read_block_document_by_name(BLOCK_NAME, block_type_slug="webhook")
        except ObjectNotFound:
            return False
        client.delete_block_document(old.id)
    return True
