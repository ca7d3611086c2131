"""Waiting on a condition, never on the clock: the one polling helper the tests use.

Tests wait for what they need to see (a run's state, a file, a log line), checking it
every ``every`` seconds until ``timeout``; the timeout only bounds a hang, no test asserts
how long anything took.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float, what: str, every: float = 0.2) -> T:
    """The first truthy value of ``condition()``; fails with ``what`` if none comes within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(every)  # the poll interval: the condition above is what is waited on
