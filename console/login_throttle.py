"""Locks a login name (and a client address) out after repeated failed sign-ins.

Counts live in the shared cache (Redis in production) so every web process sees them.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    return "login-fail:" + kind + ":" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _keys(username: str, ip: str) -> list[str]:
    return [_key("user", username), _key("ip", ip)]


def is_locked(*, username: str, ip: str) -> bool:
    counts = cache.get_many(_keys(username, ip))
    user_count = counts.get(_key("user", username), 0)
    # An address gets more room than a name: offices share one address.
    ip_count = counts.get(_key("ip", ip), 0)
    return user_count >= settings.LOGIN_FAILURE_LIMIT or ip_count >= settings.LOGIN_FAILURE_LIMIT * 4


def record_failure(*, username: str, ip: str) -> None:
    for key in _keys(username, ip):
        # add() then incr() is atomic on Redis; the window starts at the first failure.
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)


def clear(*, username: str) -> None:
    cache.delete(_key("user", username))
