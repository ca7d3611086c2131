"""Prefect events at the review milestones, for the Event Feed and for automations (``tarjama notify``).

Each event's resource is the item (``tarjama.item.<slug>``, its name, the
languages concerned as a label); related resources are the languages, the
flow run and the links people follow (the review desk's page, the run in the
Prefect UI). The payload carries a one-line ``text`` that a chat webhook can
post as it is. Emitting never fails the caller: an event that cannot be sent is
logged, and the review goes on.
"""

from __future__ import annotations

import os
from enum import StrEnum

from prefect.events import emit_event
from prefect.logging import get_logger

from tarjama.settings import Settings

log = get_logger("tarjama.events")


class Milestone(StrEnum):
    WAITING = "tarjama.review.waiting"
    OVERDUE = "tarjama.review.overdue"
    REMINDER = "tarjama.review.reminder"
    DECIDED = "tarjama.review.decided"
    CHANGES_REQUESTED = "tarjama.review.changes-requested"
    FLASH_PUBLISHED = "tarjama.review.flash-published"  # published before review: reviewers are wanted now
    FLASH_HELD = "tarjama.review.flash-held"  # the flash path kept a language back for a person, and why
    PUBLISHED = "tarjama.published"
    PUBLICATION_FAILED = "tarjama.publication.failed"
    INBOX_REFUSED = "tarjama.inbox.refused"


def ui_base(settings: Settings) -> str:
    """The Prefect UI as operators reach it: the setting, else the API's URL without ``/api``."""
    if settings.notify.ui_url:
        return settings.notify.ui_url.rstrip("/")
    return (os.environ.get("PREFECT_UI_URL") or os.environ.get("PREFECT_API_URL", "http://127.0.0.1:4200/api")
            ).rstrip("/").removesuffix("/api")


def links(settings: Settings, slug: str, langs: list[str], run_id: str | None) -> dict[str, str]:
    desk = settings.notify.desk_url.rstrip("/")
    found = {f"desk_{lang}": f"{desk}/review/{slug}/{lang}" for lang in langs}
    if run_id:
        found["run"] = f"{ui_base(settings)}/runs/flow-run/{run_id}"
    return found


def emit_milestone(milestone: Milestone, settings: Settings, slug: str, langs: list[str], text: str, *,
                   run_id: str | None = None, **details: str) -> bool:
    """Emit one milestone event; False (and a log line) when it could not be sent."""
    urls = links(settings, slug, langs, run_id)
    related = [{"prefect.resource.id": f"tarjama.language.{lang}", "prefect.resource.role": "language",
                "prefect.resource.name": lang} for lang in langs]
    related += [{"prefect.resource.id": f"tarjama.link.{name}.{slug}", "prefect.resource.role": "link",
                 "prefect.resource.name": name, "tarjama.url": url} for name, url in urls.items()]
    if run_id:
        related.append({"prefect.resource.id": f"prefect.flow-run.{run_id}", "prefect.resource.role": "flow-run"})
    try:
        sent = emit_event(
            event=milestone.value,
            resource={"prefect.resource.id": f"tarjama.item.{slug}", "prefect.resource.name": slug,
                      "tarjama.languages": ",".join(langs)},
            related=related,
            payload={"text": " ".join([text, *urls.values()]), "slug": slug, "languages": langs, "links": urls,
                     **details},
        )
    except Exception as exc:  # an event is a notice; the review goes on without it
        log.warning("%s: event %s not sent: %s", slug, milestone.value, exc)
        return False
    return sent is not None
