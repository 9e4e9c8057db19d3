"""Per-account, per-action rate limits with GCRA (the generic cell rate algorithm).

GCRA keeps one number per key, the theoretical arrival time (TAT). A request at ``now`` is
allowed when ``TAT - tolerance <= now``, and then moves TAT to ``max(TAT, now) + interval``.
The read, decision and write happen in one atomic step:

* with Redis (the ``limits`` role, console/redis_roles.py) in a Lua script, on Redis's own
  clock, so every web host agrees;
* without Redis (the embedded single-machine default) in a SQLite file under
  ``RONGHE_VAR_DIR`` inside a ``BEGIN IMMEDIATE`` transaction, which serialises all processes
  of the machine. It does not work across machines, and it does not need to: the embedded
  default is one machine.

The tolerance (burst) is one second's worth of requests plus half an interval of jitter: an
account may send its whole QPS at once (several clients starting together), and over any window
of T seconds at most ``rate * (T + 1) + 1`` calls pass.

When Redis cannot be reached the limiter fails open for ``RATE_LIMIT_FAIL_OPEN_SECONDS`` (60 by
default) counted from the first failure: each web process then limits on its own, in memory, with
the same GCRA, and logs every decision it takes that way. Redis is tried again at most once a
second. Past the bound, calls are refused with InternalError until Redis answers again.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)


# KEYS[1] the limiter key; ARGV[1] interval in microseconds, ARGV[2] tolerance in microseconds.
# Time comes from Redis (TIME), not from the calling host, so skewed web hosts cannot disagree.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - tolerance > now then
  return {0, tat - tolerance - now}
end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return {1, 0}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until a request would be allowed; 0 when allowed


def _params(rate: float) -> tuple[int, int]:
    interval = int(1_000_000 / rate)
    # ``rate`` requests at once (at least one), and half an interval more for a client's jitter.
    tolerance = interval * max(math.ceil(rate) - 1, 0) + interval // 2
    return interval, tolerance


@cache
def _redis_script(url: str, pid: int):
    from console.redis_roles import redis_client

    return redis_client("limits").register_script(_GCRA_LUA)


def _key(account_id: int, action: str) -> str:
    from console.redis_roles import redis_key

    return redis_key("rl", account_id, action)


def _allow_redis(key: str, rate: float) -> Decision:
    interval, tolerance = _params(rate)
    allowed, wait_us = _redis_script(settings.REDIS_ROLE_URLS["limits"], os.getpid())(
        keys=[key], args=[interval, tolerance])
    return Decision(bool(allowed), int(wait_us) / 1_000_000)


class RateLimitUnavailable(Exception):
    """Redis has been unreachable for longer than the limiter may fail open."""


class _FailOpen:
    """This process's limiter while Redis is unreachable: same GCRA, in memory, for a bounded time."""

    RETRY_SECONDS = 1.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_since: float | None = None
        self.retry_at = 0.0
        self.tats: dict[str, int] = {}

    def should_try_redis(self, now: float) -> bool:
        return now >= self.retry_at

    def redis_failed(self, now: float, exc: BaseException) -> None:
        with self.lock:
            self.retry_at = now + self.RETRY_SECONDS
            if self.down_since is None:
                self.down_since = now
                log.error("rate limiter: Redis unreachable (%s); failing open with a per-process limit for up to "
                          "%d s", exc, settings.RATE_LIMIT_FAIL_OPEN_SECONDS)

    def redis_answered(self, now: float) -> None:
        if self.down_since is not None:
            with self.lock:
                if self.down_since is not None:
                    log.warning("rate limiter: Redis answers again after %.1f s", now - self.down_since)
                self.down_since, self.tats = None, {}

    def decide(self, key: str, rate: float, now: float) -> Decision:
        with self.lock:
            if self.down_since is not None and now - self.down_since > settings.RATE_LIMIT_FAIL_OPEN_SECONDS:
                log.error("rate limiter: Redis unreachable for %.0f s; refusing %s", now - self.down_since, key)
                raise RateLimitUnavailable(key)
            interval, tolerance = _params(rate)
            now_us = int(now * 1_000_000)
            tat = max(self.tats.get(key, now_us), now_us)
            decision = Decision(False, (tat - tolerance - now_us) / 1_000_000) if tat - tolerance > now_us \
                else Decision(True, 0.0)
            if decision.allowed:
                self.tats[key] = tat + interval
        log.warning("rate limiter without Redis: %s %s", key, "allowed" if decision.allowed else "refused")
        return decision


_fail_open = _FailOpen()


def _sqlite_path() -> Path:
    return Path(settings.VAR_DIR) / "ratelimit.sqlite3"


def _allow_sqlite(key: str, rate: float, *, now: float | None = None, path: Path | None = None) -> Decision:
    interval, tolerance = _params(rate)
    now_us = int((time.time() if now is None else now) * 1_000_000)
    path = path or _sqlite_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        # IMMEDIATE takes the write lock at BEGIN (waiting up to the timeout for it): the read
        # below and the write after it are one step for every process on the machine.
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS gcra (key TEXT PRIMARY KEY, tat INTEGER NOT NULL)")
        row = conn.execute("SELECT tat FROM gcra WHERE key = ?", (key,)).fetchone()
        tat = max(row[0] if row else now_us, now_us)
        if tat - tolerance > now_us:
            conn.execute("COMMIT")
            return Decision(False, (tat - tolerance - now_us) / 1_000_000)
        conn.execute("INSERT INTO gcra (key, tat) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET tat = excluded.tat",
                     (key, tat + interval))
        conn.execute("COMMIT")
        return Decision(True, 0.0)
    finally:
        conn.close()


def rate_limit_hit(*, account_id: int, action: str, rate: float) -> Decision:
    """Count one request of ``action`` by the account against ``rate`` per second."""
    if rate <= 0:
        return Decision(False, 1.0)
    key = _key(account_id, action)
    if not settings.REDIS_URL:
        return _allow_sqlite(key, rate)
    import redis

    now = time.monotonic()
    if _fail_open.should_try_redis(now):
        try:
            decision = _allow_redis(key, rate)
        except (redis.RedisError, OSError) as exc:
            _fail_open.redis_failed(now, exc)
        else:
            _fail_open.redis_answered(now)
            return decision
    return _fail_open.decide(key, rate, now)
