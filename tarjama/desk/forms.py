"""Form bodies read strictly: URL-encoded UTF-8 only, within a size limit.

Starlette's form parser replaces invalid UTF-8 with U+FFFD and accepts
multipart bodies of any size; a translation must be stored exactly as typed
or refused. So state-changing requests are read here: anything else is a 4xx
with one line saying why, and nothing is stored.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

MAX_BODY = 256 * 1024
URLENCODED = "application/x-www-form-urlencoded"


class FormError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def parse_form(content_type: str | None, body: bytes) -> dict[str, str]:
    """The fields of a URL-encoded body (the last value of a repeated field wins); no body is no field."""
    if not body:
        return {}
    if (content_type or "").split(";")[0].strip().lower() != URLENCODED:
        raise FormError(415, f"send the form as {URLENCODED}")
    if len(body) > MAX_BODY:
        raise FormError(413, f"the form is {len(body)} bytes; the limit is {MAX_BODY}")
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict",
                              max_num_fields=100))
    except UnicodeDecodeError:
        raise FormError(400, "the form is not valid UTF-8; nothing was saved") from None
    except ValueError:
        raise FormError(400, "the form has too many fields") from None
