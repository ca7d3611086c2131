"""What a flow run's log in the Prefect UI says when tarjama ends a run Failed on purpose.

tarjama turns a user's mistake (a missing key, an empty Run form, English text, a misspelt file) into a
Failed state carrying one line that says what to fix. Prefect 3.9 then logs "Engine execution exited with
unexpected exception" with a ``FailedRun`` traceback after it, which operators read as a crash. Prefect has
no setting for this, so a filter on its flow-run logger drops that one record when its exception is the
``FailedRun`` of a returned Failed state; any other exception (a real crash) keeps its traceback.
"""

from __future__ import annotations

import logging

from prefect.exceptions import FailedRun

ENGINE_EXIT = "Engine execution exited with unexpected exception"


class DeliberateFailure(logging.Filter):
    """Drops Prefect's traceback for a run that tarjama failed with a one-line reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], FailedRun):
            return not str(record.msg).startswith(ENGINE_EXIT)
        return True


def quiet_deliberate_failures() -> None:
    """Install the filter once on Prefect's flow-run logger (idempotent)."""
    logger = logging.getLogger("prefect.flow_runs")
    if not any(isinstance(f, DeliberateFailure) for f in logger.filters):
        logger.addFilter(DeliberateFailure())
