"""Keep provider keys out of logs.

requests and urllib3 log full request lines at DEBUG level, query string
included; LibreTranslate, QCRI and Yandex carry their key there. A filter on
those loggers masks key-like parameters before any handler sees the record.
"""

from __future__ import annotations

import logging
import re

_KEY_PARAM = re.compile(r"(?i)\b(api_key|apikey|key|appkey|appid|sign|token|secret)=([^&\s\"']+)")
_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "requests")


def redact(text: str) -> str:
    return _KEY_PARAM.sub(lambda m: f"{m.group(1)}=***", text)


class RedactKeys(logging.Filter):
    """Rewrite a record's message with key-like query parameters masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def install_log_redaction() -> None:
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactKeys) for f in logger.filters):
            logger.addFilter(RedactKeys())
