"""Item dates: every form ingest accepts, normalised once so that every output can carry it.

An item's date is either a calendar date (``2025-01-30``), kept as a date, or
a moment (``2025-01-30T10:00:00+01:00``), always stored with its UTC offset.
A time written without a zone (``2015-07-23 19:25:42``, as scraped news often
has it) is read in the newsroom's timezone (the ``timezone`` setting, UTC by
default). Published outputs then need no guessing: ninjs gets an RFC 3339
date-time, pages get the local calendar date.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo


class DateError(ValueError):
    """A date that cannot be read; its text says why, for a one-line message."""


def normalise_date(value: object, timezone: str = "UTC") -> str | None:
    """The canonical text of a date or moment (see the module docstring); None when there is none.

    Parsing is Python's ISO 8601 reader (``fromisoformat``): ``2025-01-30``, ``2025-01-30T10:00``,
    ``2025-01-30 10:00:00.5+01:00``, ``...Z``, basic and week forms alike.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return _moment(value, timezone)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return _moment(dt.datetime.fromisoformat(text), timezone)
    except ValueError as exc:
        reason = str(exc)
        if "out of range" in reason or "must be in" in reason:
            raise DateError(f"{text!r} is not a real date or time ({reason})") from None
        if "offset" in reason:
            raise DateError(f"{text!r} has an impossible UTC offset") from None
        raise DateError(f"{text!r} is not an ISO 8601 date; write it as 2025-01-30 or 2025-01-30T10:00:00+01:00") from None


def _moment(value: dt.datetime, timezone: str) -> str:
    """A moment with its offset; a naive one is taken to be in the newsroom's ``timezone``."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zoneinfo.ZoneInfo(timezone))
    offset = value.utcoffset() or dt.timedelta(0)
    try:
        # local mean time of old dates has seconds in its offset, which RFC 3339 does not allow: say it in UTC
        fixed = value.astimezone(dt.UTC) if offset % dt.timedelta(minutes=1) else value.replace(tzinfo=dt.timezone(offset))
        return fixed.isoformat()
    except (OverflowError, ValueError):
        raise DateError(f"{value.isoformat()!r} is out of the range of dates") from None


def is_moment(value: str) -> bool:
    """A stored item date with a time of day (``...T...+01:00``), as opposed to a calendar date."""
    return "T" in value


def calendar_day(value: str) -> dt.date:
    """The local calendar date of a stored item date (a moment keeps the day of its own offset)."""
    if is_moment(value):
        return dt.datetime.fromisoformat(value).date()
    return dt.date.fromisoformat(value)


def rfc3339(value: str) -> str:
    """A stored item date as an RFC 3339 date-time (ninjs); a calendar date is midnight UTC."""
    if is_moment(value):
        return dt.datetime.fromisoformat(value).isoformat()
    return f"{value}T00:00:00Z"
