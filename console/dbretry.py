"""Database writes that must happen although the connection was cut (a PostgreSQL restart while a
request waited for its fusion job): close the dead connection, reconnect, try again for a while."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

log = logging.getLogger(__name__)

T = TypeVar("T")
DISCONNECTED = (OperationalError, InterfaceError)


def reconnecting(fn: Callable[[], T], *, seconds: float, pause: float = 0.2) -> T:
    """``fn()``, retried on a fresh connection while the database is unreachable, for up to ``seconds``;
    then the last error is raised. ``fn`` must be safe to repeat (a compare-and-swap, an idempotent create):
    an error at commit leaves it unknown whether the first try was written."""
    give_up = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except DISCONNECTED as exc:
            if connection.in_atomic_block:
                raise  # an outer transaction is lost anyway: its owner decides
            connection.close()
            if time.monotonic() + pause > give_up:
                raise
            log.warning("database unreachable (%s); retrying on a new connection", exc)
            time.sleep(pause)
