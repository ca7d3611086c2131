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
import re
import zoneinfo

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# ISO 8601 date-time as news feeds write it: "T" or a space, optional seconds and fraction, optional zone
_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<zone>Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


class DateError(ValueError):
    """A date that cannot be read; its text says why, for a one-line message."""


def normalise_date(value: object, timezone: str = "UTC") -> str | None:
    """The canonical text of a date or moment (see the module docstring); None when there is none."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return _moment(value, timezone)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if _DATE.match(text):
        return _calendar_date(text).isoformat()
    match = _DATETIME.match(text)
    if not match:
        raise DateError(f"{text!r} is not an ISO 8601 date; write it as 2025-01-30 or 2025-01-30T10:00:00+01:00")
    day = _calendar_date(match["date"])
    try:
        fraction = int((match["f"] or "0")[:6].ljust(6, "0"))
        moment = dt.datetime(day.year, day.month, day.day, int(match["h"]), int(match["m"]), int(match["s"] or 0),
                             fraction)
    except ValueError:
        raise DateError(f"{text!r} has an impossible time of day") from None
    zone = match["zone"]
    if zone:
        moment = moment.replace(tzinfo=_offset(zone, text))
    return _moment(moment, timezone)


def _calendar_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise DateError(f"{text!r} is not a real date ({exc})") from None


def _offset(zone: str, text: str) -> dt.tzinfo:
    if zone in ("Z", "z"):
        return dt.UTC
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise DateError(f"{text!r} has an impossible UTC offset")
    sign = -1 if zone[0] == "-" else 1
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


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
