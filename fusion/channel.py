"""How a job's events reach the web process that waits for it, without polling.

With Redis (the ``answers`` role): the worker pushes small JSON events onto a per-job list that
expires within a minute, and the waiting request BLPOPs it. Two kinds of event:

* ``{"event": "received", "worker": hostname}``, pushed by the worker's main process the moment it
  takes the message, so the waiter knows whose liveness to watch (console/workers.py);
* ``{"event": "answer", "code": ..., ...}``, pushed after the job row is closed, with the image
  inline for base64 replies. The pop removes it, so nothing large stays in Redis.

Without Redis (the embedded default, one machine) the waiter listens on a FIFO named after the job
under ``RONGHE_VAR_DIR`` and the worker writes the answer into it (console/fifo.py); the image goes
through storage.

A Redis that cannot be reached raises ``ChannelDown``; the caller falls back to the job row.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from console.fifo import FifoListener, fifo_send

ANSWER_TTL_SECONDS = 60
RECEIVED = "received"
ANSWER = "answer"


class ChannelDown(Exception):
    """The answers role (Redis) cannot be reached."""


def uses_redis() -> bool:
    return bool(settings.REDIS_URL)


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


def _key(job_id: str) -> str:
    from console.redis_roles import redis_key

    return redis_key("fusion", "answer", job_id)


def _fifo(job_id: str) -> Path:
    return Path(settings.VAR_DIR) / "fusion" / "answers" / f"{job_id}.fifo"


def publish(job_id: str, event: dict) -> None:
    """Hands ``event`` to whoever waits for the job (nobody waiting is fine: the job row has it)."""
    data = json.dumps(event)
    if not uses_redis():
        fifo_send(_fifo(job_id), data.encode() + b"\n")
        return
    from console.redis_roles import redis_client

    try:
        pipe = redis_client("answers").pipeline(transaction=True)
        pipe.rpush(_key(job_id), data)
        pipe.expire(_key(job_id), ANSWER_TTL_SECONDS)
        pipe.execute()
    except _redis_errors() as exc:
        raise ChannelDown(str(exc)) from exc


class Waiter:
    """Waits for one job's events. Enter it *before* looking at the job row: an answer written after
    that look is then never missed."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._listener: FifoListener | None = None
        self._pending: list[dict] = []

    def __enter__(self) -> Waiter:
        if not uses_redis():
            self._listener = FifoListener(_fifo(self.job_id))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._listener is not None:
            self._listener.close()

    def next(self, timeout: float) -> dict | None:
        """The next event, or None when ``timeout`` passes first."""
        if self._pending:
            return self._pending.pop(0)
        if self._listener is not None:
            lines = self._listener.wait(timeout).splitlines()
            self._pending = [json.loads(line) for line in lines if line.strip()]
            return self._pending.pop(0) if self._pending else None
        if timeout < 0.01:  # BLPOP's own resolution; 0 would mean "forever"
            return None
        from console.redis_roles import redis_client

        try:
            popped = redis_client("answers").blpop([_key(self.job_id)], timeout=round(timeout, 2))
        except _redis_errors() as exc:
            raise ChannelDown(str(exc)) from exc
        return None if popped is None else json.loads(popped[1])
