"""The logging configuration (settings.LOGGING): one line per record on standard error, as text or,
with ``LOG_FORMAT=json``, as one JSON object per line (python-json-logger) for a log shipper.

Every line carries the context of observability/context.py: ``request_id``, ``app_id``, ``action``
and ``job_id`` (empty strings outside a request or task). Text lines keep their old shape; the
context is in the JSON lines, which are what a deployment ships and searches.
"""

from __future__ import annotations

from typing import Any

from observability.context import FIELDS

FORMATS = ("text", "json")
_JSON_FIELDS = " ".join(f"%({name})s" for name in ("asctime", "levelname", "name", "message", *FIELDS))


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be text or json, got {log_format!r}")
    formatters: dict[str, dict[str, Any]] = {
        # The level in every line, so an operator can grep for ERROR (a worker that died, a lost answer).
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": _JSON_FIELDS,
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                 "json_ensure_ascii": False},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "observability.context.ContextFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["context"]}},
        "root": {"handlers": ["console"], "level": level},
    }
