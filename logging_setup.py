"""Logging for every foiflow process, set up once at each entry point (the worker, ``foiflow up``,
the web app's factory) from the settings: ``FOIFLOW_LOG_FORMAT`` (``text``: readable lines for a
terminal; ``json``: one JSON object per line, for a log collector) and ``FOIFLOW_LOG_LEVEL``.

foiflow never logs requester data. As a safety net against a message that slips through (an
exception quoting an address, an access log with an email in a query string), every record has
its email addresses replaced by ``[email]`` before any handler writes it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from settings import Settings

REDACTED_EMAIL = "[email]"
# Deliberately broad: a false positive costs a log line's readability, a miss costs a breach.
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# uvicorn installs handlers of its own on these; foiflow's handler takes over so the web app's
# lines share the process's format.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# The attributes every LogRecord has: anything else on a record came from ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    return EMAIL.sub(REDACTED_EMAIL, text)


class RedactEmails(logging.Filter):
    """Replaces email addresses in the message, its arguments, the exception text and any
    ``extra`` strings. Changes the record itself, so every handler after it sees it redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the exception if
    any, and whatever the call passed as ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        for name, value in record.__dict__.items():
            if name not in _STANDARD and name not in entry:
                entry[name] = value
        return json.dumps(entry, default=str, ensure_ascii=False)


class _FoiflowHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler foiflow installs on the root logger (recognised on a second call).

    Without a stream of its own it writes to whatever ``sys.stderr`` is at the time, so a
    process that swaps stderr later (a supervisor, a test runner) never has lines sent to a
    closed file."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(stream or sys.stderr)
        self._follow_stderr = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        if self._follow_stderr:
            self.stream = sys.stderr
        super().emit(record)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> logging.Handler:
    """Send every logger's records, redacted, to ``stream`` (stderr) in the settings' format.

    Idempotent: a second call replaces foiflow's handler rather than adding another, so an entry
    point that calls another entry point's code does not print every line twice.
    """
    handler = _FoiflowHandler(stream)
    handler.setFormatter(
        JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    handler.addFilter(RedactEmails())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _FoiflowHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    return handler
