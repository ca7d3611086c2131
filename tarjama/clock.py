"""What "now" is for every record tarjama writes: UTC, to the second."""

from __future__ import annotations

import datetime as dt


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
