"""Windowed counters for the throttles (sign-in lockout, sign-up and password-reset limits).

They live in the ``throttle`` cache: Redis's ``limits`` database in production (see
``console/redis_roles.py``), a file cache of its own in the embedded default. Either way a
``cache.clear()`` of the ordinary cache leaves them alone.
"""

from django.core.cache import caches
from django.utils.connection import ConnectionProxy

# Django's cache API (get_many, delete, decr...) on the throttle cache, like ``django.core.cache.cache``.
throttle_cache = ConnectionProxy(caches, "throttle")


def counter_bump(key: str, *, window: int) -> int:
    """Counts one more event under ``key`` and returns the count; the window starts at the first event."""
    # add() then incr() is atomic on Redis.
    throttle_cache.add(key, 0, timeout=window)
    try:
        return throttle_cache.incr(key)
    except ValueError:  # expired between the two calls
        throttle_cache.set(key, 1, timeout=window)
        return 1
