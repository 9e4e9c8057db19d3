"""Redis by role: each role on its own database (or URL), every key under one deployment prefix.

Roles, and the database each takes counted from ``REDIS_URL``'s own number ``n``:

* ``cache`` (n): Django's cache. ``cache.clear()`` empties this database only.
* ``limits`` (n+1): the sign-in and sign-up throttles and the API rate limiter.
* ``broker`` (n+2): Celery's queues.
* ``results`` (n+3): Celery's task results.
* ``answers`` (n+4): fusion jobs' answers to the web process waiting for them, and worker liveness.

``REDIS_CACHE_URL``, ``REDIS_LIMITS_URL``, ``CELERY_BROKER_URL``, ``CELERY_RESULT_BACKEND`` and
``REDIS_ANSWERS_URL`` name a role's URL outright. Keys start with ``REDIS_KEY_PREFIX`` (default
``ronghe``) in every role, the broker's and the results' included, so several deployments share
one Redis without sharing a key.
"""

from __future__ import annotations

import os
from functools import cache
from urllib.parse import urlsplit, urlunsplit

from django.core.cache.backends.redis import RedisCache

ROLES = ("cache", "limits", "broker", "results", "answers")
ROLE_URL_VARIABLES = {"cache": "REDIS_CACHE_URL", "limits": "REDIS_LIMITS_URL", "broker": "CELERY_BROKER_URL",
                      "results": "CELERY_RESULT_BACKEND", "answers": "REDIS_ANSWERS_URL"}
REDIS_DATABASES = 16  # Redis's default `databases`


def key_prefix(prefix: str, *, test_worker: str = "") -> str:
    """The deployment's prefix; a test worker's own under pytest-xdist."""
    return f"{prefix}-{test_worker}" if test_worker else prefix


def _with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def role_urls(redis_url: str, own_urls: dict[str, str] | None = None) -> dict[str, str]:
    """Each role's URL: its own (``own_urls``, from the variables above), or ``REDIS_URL`` with the
    role's database number."""
    if not redis_url:
        return {}
    own_urls = own_urls or {}
    path = urlsplit(redis_url).path.strip("/")
    try:
        base = int(path or 0)
    except ValueError as exc:
        raise ValueError(f"REDIS_URL must end in a database number, got {redis_url!r}") from exc
    urls = {}
    for offset, role in enumerate(ROLES):
        own = own_urls.get(role, "")
        if not own and base + offset >= REDIS_DATABASES:
            raise ValueError(f"REDIS_URL's database {base} leaves no database {base + offset} for the {role} role: "
                             f"use a database up to {REDIS_DATABASES - len(ROLES)} or set {ROLE_URL_VARIABLES[role]}")
        urls[role] = own or _with_db(redis_url, base + offset)
    return urls


@cache
def _client(url: str, pid: int):
    import redis

    # Short timeouts: every caller has a fallback (fail open, poll the database) and must reach it
    # quickly when Redis is gone, instead of hanging on a dead socket.
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=1, health_check_interval=10,
                                retry_on_timeout=False)


def redis_client(role: str):
    """The process's client for ``role`` (one connection pool per process and role)."""
    from django.conf import settings

    return _client(settings.REDIS_ROLE_URLS[role], os.getpid())


def redis_key(*parts: object) -> str:
    from django.conf import settings

    return ":".join([settings.REDIS_KEY_PREFIX, *map(str, parts)])


class PrefixedRedisCache(RedisCache):
    """Django's Redis cache whose ``clear()`` deletes only this deployment's keys, not the database:
    another deployment (or another test worker) on the same database keeps its own."""

    def clear(self) -> None:
        client = self._cache.get_client(write=True)
        pattern = "".join(f"[{c}]" if c in "*?[]\\" else c for c in self.key_prefix) + ":*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)

