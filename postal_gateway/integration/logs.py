"""JSON log lines with a request id, and a last-line guard that keeps phone and ID numbers out of logs.

The guard also blanks the values of query parameters that carry a person's data or a secret
(``?id_number=``, ``?phone=``, ``?q=``, ``?code=``), wherever an address is written: the development
server's request lines, gunicorn's access log (``access_log.py``), any message quoting a URL.

The request id comes from the ``X-Request-ID`` header (or is made up) in the web app, travels in the
Celery task's headers (see worker.py) and is printed on every line written while handling either.
"""
from __future__ import annotations

import contextvars
import logging
import re
import sys
from datetime import datetime, timezone

import pythonjsonlogger.json
from pythonjsonlogger.core import RESERVED_ATTRS

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

#: runs of 9 or more digits (a phone number with or without +84, a 9- or 12-digit ID number)
_LONG_NUMBER = re.compile(r"(?<![\d.])\+?\d[\d ]{7,}\d")
#: query parameters whose values are a person's (ID number, phone, a name searched) or a one-time code
MASKED_QUERY_PARAMETERS = ("id_number", "phone", "q", "code")
_PERSONAL_QUERY_VALUE = re.compile(
    r"(?<=[?&;])(" + "|".join(MASKED_QUERY_PARAMETERS) + r")=[^&;#\s\"']+", re.IGNORECASE
)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> None:
    _request_id.set(value[:64] if value else None)


def mask_query_values(text: str) -> str:
    """``/lookup?id_number=079…&lang=en`` -> ``/lookup?id_number=***&lang=en`` (any address in ``text``)."""
    return _PERSONAL_QUERY_VALUE.sub(r"\1=***", text)


def redact(text: str) -> str:
    """Blank personal query values, then replace every long number (phone, ID number) by a mask
    keeping its last three digits."""
    text = mask_query_values(text)

    def mask(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) < 9:
            return match.group(0)
        return "*" * (len(digits) - 3) + digits[-3:]

    return _LONG_NUMBER.sub(mask, text)


class JsonFormatter(pythonjsonlogger.json.JsonFormatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, extras, exception.

    python-json-logger gathers the fields (a record's ``extra`` included); this subclass adds the time
    and the request id, and passes every text value through ``redact`` (Nghị định 13/2023/NĐ-CP), since
    a record's extras and a traceback quote personal data as freely as its message. Vietnamese stays
    readable (no ``\\u`` escapes)."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
            reserved_attrs=[*RESERVED_ATTRS, "taskName"],
            json_ensure_ascii=False,
        )

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
        super().add_fields(log_data, record, message_dict)
        request_id = log_data.pop("request_id", None) or current_request_id()
        if request_id:
            log_data["request_id"] = request_id

    def process_log_record(self, log_data: dict) -> dict:
        return {name: value if isinstance(value, (int, float, bool)) or value is None else redact(str(value))
                for name, value in log_data.items()}


class RedactingFilter(logging.Filter):
    """For handlers that are not JSON (e.g. pytest's caplog): the message is redacted in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure_json_logging(level: int | str = logging.INFO, stream=None) -> logging.Handler:
    """Root logger -> one JSON line per record on stderr (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_postal_gateway_json", False):
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    handler._postal_gateway_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler
