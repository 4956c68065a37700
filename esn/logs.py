"""Logs an operator can search: with LOG_FORMAT=json (the default when DEBUG is off) each
record is one JSON object on one line, and every record written while a request is served
carries that request's id. The id comes from the proxy's X-Request-ID when it sends a sane
one (so the proxy's access log and ours can be joined), else a new one; the response
returns it, so a person reporting a problem can quote it."""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")

# What we accept from upstream: short, and nothing that could forge a log line.
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id_from(header: str | None) -> str:
    if header and _SANE.fullmatch(header):
        return header
    return uuid.uuid4().hex


def request_started(sender: object, environ: dict | None = None, **kwargs: object) -> None:
    """From Django's request_started signal: before any middleware, so that even what the
    handler logs after the middleware (Django's "Not Found" warnings) carries the id."""
    current_request_id.set(request_id_from((environ or {}).get("HTTP_X_REQUEST_ID")))


def request_finished(sender: object, **kwargs: object) -> None:
    current_request_id.set("")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "")
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
