"""``tarjama notify``: Prefect automations that post to a chat webhook at the review milestones.

Nine automations, created or replaced idempotently, each calling one Prefect
Webhook block (``tarjama-notify``) when its event arrives
(:mod:`flows.events`): a language waits for review, a review nears its deadline
(once), a review is overdue, changes were requested (with the note), a language
was published (with its pages), a breaking-news language went out before review
(review it now), the flash path kept a language for a person (and why), a
publication failed, an inbox item was refused.
The body is ``{"text": "..."}``, the shape Slack's and Mattermost's incoming
webhooks take (Microsoft Teams' Workflows webhooks want an Adaptive Card
instead: point them at a Slack-compatible relay, or edit the
automation's payload in the Prefect UI). The URL is a secret: it is stored in
the block (Prefect keeps secret fields out of its UI and logs), never printed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from prefect.blocks.webhook import Webhook
from prefect.events.actions import CallWebhook
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from pydantic import SecretStr

from flows.events import Milestone
from operations.deploy import upsert_automation
from tarjama.webhooks import check_webhook

BLOCK_NAME = "tarjama-notify"
PAYLOAD = '{"text": {{ event.payload.text | tojson }}}'
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


def ensure_notifications(url: str) -> list[str]:
    """Save the webhook block and create or replace the automations; one line per thing done."""
    block = Webhook(url=SecretStr(check_webhook(url)), method="POST",
                    headers={"Content-Type": "application/json"})
    block_id = block.save(BLOCK_NAME, overwrite=True)
    lines = [f"webhook block {BLOCK_NAME}: posts to {urlsplit(url).hostname} (the URL is kept secret)"]
    for name, milestone in NOTIFIED.items():
        automation = AutomationCore(
            name=name,
            description=f"Post to the newsroom's chat on {milestone.value}",
            trigger=EventTrigger(expect={milestone.value}, match={"prefect.resource.id": "tarjama.item.*"},
                                 posture=Posture.Reactive, threshold=1),
            actions=[CallWebhook(block_document_id=block_id, payload=PAYLOAD)],
        )
        lines.append(f"automation {name!r}: {upsert_automation(automation)}")
    return lines
