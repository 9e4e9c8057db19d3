"""Per-account, per-action rate limits with GCRA (the generic cell rate algorithm).

GCRA keeps one number per key, the theoretical arrival time (TAT). A request at ``now`` is
allowed when ``TAT - tolerance <= now``, and then moves TAT to ``max(TAT, now) + interval``.
The read, decision and write happen in one atomic step:

* with Redis (``REDIS_URL``) in a Lua script, on Redis's own clock, so every web host agrees;
* without Redis (the embedded single-machine default) in a SQLite file under
  ``RONGHE_VAR_DIR`` inside a ``BEGIN IMMEDIATE`` transaction, which serialises all processes
  of the machine. It does not work across machines, and it does not need to: the embedded
  default is one machine.

The tolerance (burst) is half a second's worth of requests: a client that sends its
allowance in small bunches is not punished for jitter, and over any long window the
allowed count stays within a few percent of the rate.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

BURST_SECONDS = 0.5

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
    tolerance = max(int(BURST_SECONDS * 1_000_000) - interval, 0) if rate * BURST_SECONDS > 1 else interval // 2
    return interval, tolerance


@cache
def _redis_client(url: str):  # one pool per process and URL
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)


@cache
def _redis_script(url: str):
    return _redis_client(url).register_script(_GCRA_LUA)


def _key(account_id: int, action: str) -> str:
    return f"ronghe:rl:{account_id}:{action}"


def _allow_redis(url: str, key: str, rate: float) -> Decision:
    interval, tolerance = _params(rate)
    allowed, wait_us = _redis_script(url)(keys=[key], args=[interval, tolerance])
    return Decision(bool(allowed), int(wait_us) / 1_000_000)


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
    if settings.REDIS_URL:
        return _allow_redis(settings.REDIS_URL, key, rate)
    return _allow_sqlite(key, rate)
