"""What a log line is about: the RequestId, the account's AppID, the API action and the job id.

One context variable holds them, so every line logged while a request or a task runs carries them
(``ContextFilter`` copies them onto the record) without being passed around. The request middleware
and the API dispatch set them on the web side; Celery carries them to the worker in a message header
(observability/celery.py), so a FuseFace call is followed from web to worker by its RequestId.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

FIELDS = ("request_id", "app_id", "action", "job_id")

_current: ContextVar[dict[str, str]] = ContextVar("ronghe_log_context", default={})  # noqa: B039 - never mutated


def current() -> dict[str, str]:
    """The fields set so far (a copy)."""
    return dict(_current.get())


def bind(**fields: object) -> None:
    """Adds fields to the context until the enclosing ``scope`` ends (None or "" leaves a field as it is)."""
    merged = dict(_current.get())
    merged.update({k: str(v) for k, v in fields.items() if k in FIELDS and v not in (None, "")})
    _current.set(merged)


@contextmanager
def scope(**fields: object) -> Iterator[None]:
    """A context of its own: starts from ``fields`` only, and everything bound inside is forgotten at
    the end (a thread serving the next request, a worker running the next task starts clean)."""
    token = _current.set({k: str(v) for k, v in fields.items() if k in FIELDS and v not in (None, "")})
    try:
        yield
    finally:
        _current.reset(token)


def replace(fields: dict[str, str]) -> object:
    """Sets the context outright and returns the token ``restore`` takes (Celery's task signals, which
    cannot wrap the task in a ``with``)."""
    return _current.set({k: str(v) for k, v in fields.items() if k in FIELDS and v})


def restore(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]  # the token ``replace`` handed out


class ContextFilter(logging.Filter):
    """Puts the context's fields on every record (empty strings when unset), for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _current.get()
        for name in FIELDS:
            setattr(record, name, fields.get(name, ""))
        return True
