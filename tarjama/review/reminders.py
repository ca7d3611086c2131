"""Reminders before a review's deadline: once per run, at ``[review] remind_before_minutes`` before it (or what the
item's urgency policy says, ``[review.urgent] remind_before_minutes``, recorded when the run's review opened).

The review log says whether a run's reminder went out (``ReminderSent``, written before the notice is sent), so a
watcher that restarts, or two watchers, never remind twice; a reminder that could not be sent is not sent again
(a missed notice is better than a flood of them).
"""

from __future__ import annotations

import datetime as dt

from tarjama.review import events as review_log
from tarjama.review.events import ReminderSent
from tarjama.settings import Settings
from tarjama.workspace import Workspace


def reminder_due(events: list[review_log.Event], run_id: str, deadline: dt.datetime, waiting: list[str],
                 settings: Settings, now: dt.datetime) -> bool:
    """Whether the run's reviewers should be reminded now: languages still wait, the deadline is near and has not
    passed, and no reminder went out for this run."""
    opened = next((e for e in events if isinstance(e, review_log.Waiting) and e.run_id == run_id), None)
    before = settings.review.remind_before_minutes
    if opened is not None and opened.remind_before_minutes is not None:  # the item's urgency chose its own
        before = opened.remind_before_minutes
    if not waiting or before <= 0 or not (deadline - dt.timedelta(minutes=before) <= now < deadline):
        return False
    return not any(isinstance(e, ReminderSent) and e.run_id == run_id for e in events)


def record_reminder(workspace: Workspace, slug: str, run_id: str, waiting: list[str], deadline: dt.datetime) -> ReminderSent:
    event = ReminderSent(run_id=run_id, langs=waiting, deadline=deadline)
    review_log.append(workspace, slug, event)
    return event
