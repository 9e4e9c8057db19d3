"""How a finished job's answer reaches the web process that is waiting for it.

With Redis: the worker pushes a small JSON answer (with the image inline for base64 replies)
onto a per-job list that expires within a minute, and the waiting request BLPOPs it — no
polling, and the pop removes it, so nothing large stays in Redis. Without Redis (the embedded
single-machine default) the waiter polls the job row and the image travels through storage.
"""

from __future__ import annotations

import json
import time
from functools import cache

from django.conf import settings

ANSWER_TTL_SECONDS = 60
POLL_SECONDS = 0.05
SOCKET_TIMEOUT = 5.0
BLPOP_SLICE = 2.0  # each BLPOP blocks well under the socket timeout, so a long wait is several short ones


def uses_redis() -> bool:
    return bool(settings.REDIS_URL)


@cache
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=2,
                                health_check_interval=30)


def _key(job_id: str) -> str:
    return f"ronghe:fusion:answer:{job_id}"


def publish(job_id: str, answer: dict) -> None:
    if not uses_redis():
        return  # the waiter reads the job row
    client = _client(settings.REDIS_URL)
    pipe = client.pipeline(transaction=True)
    pipe.rpush(_key(job_id), json.dumps(answer))
    pipe.expire(_key(job_id), ANSWER_TTL_SECONDS)
    pipe.execute()


def wait(job_id: str, timeout: float) -> dict | None:
    """The answer for ``job_id``, or None when ``timeout`` passes first (Redis only)."""
    deadline = time.monotonic() + timeout
    client = _client(settings.REDIS_URL)
    while True:
        remaining = deadline - time.monotonic()
        if remaining < 0.01:  # BLPOP's own resolution; 0 would mean "forever"
            return None
        popped = client.blpop([_key(job_id)], timeout=round(min(remaining, BLPOP_SLICE), 2))
        if popped is not None:
            return json.loads(popped[1])


def sleep_poll(deadline: float) -> bool:
    """One polling step for the embedded default; False once ``deadline`` (monotonic) passed."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    time.sleep(min(POLL_SECONDS, remaining))
    return True
