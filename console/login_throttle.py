"""Locks a login name (and a client address) out after repeated failed sign-ins.

Counts live in the shared cache (Redis in production) so every web process sees them.
"""

import contextlib
import hashlib

from django.conf import settings

from console.counters import counter_bump
from console.counters import throttle_cache as cache


def _key(kind: str, value: str) -> str:
    return "login-fail:" + kind + ":" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _keys(username: str, ip: str) -> list[str]:
    return [_key("user", username), _key("ip", ip)]


def _limits() -> tuple[int, int]:
    # An address gets more room than a name: offices share one address.
    return settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_FAILURE_LIMIT * 4


def is_locked(*, username: str, ip: str) -> bool:
    counts = cache.get_many(_keys(username, ip))
    user_limit, ip_limit = _limits()
    return counts.get(_key("user", username), 0) >= user_limit or counts.get(_key("ip", ip), 0) >= ip_limit


def attempt_reserve(*, username: str, ip: str) -> bool:
    """Counts this attempt as a failure *before* the password is checked and says whether it is
    within both limits. Checking first and counting after would let concurrent guesses all pass
    the check while the first ones are still hashing; counting first lets at most the limit through.
    A success then calls ``succeeded``, which takes the count back."""
    user_count, ip_count = (counter_bump(key, window=settings.LOGIN_LOCKOUT_SECONDS)
                            for key in _keys(username, ip))
    user_limit, ip_limit = _limits()
    return user_count <= user_limit and ip_count <= ip_limit


def succeeded(*, username: str, ip: str) -> None:
    """A success clears the name's failures and gives back the address's reserved attempt."""
    cache.delete(_key("user", username))
    with contextlib.suppress(ValueError):  # expired meanwhile
        cache.decr(_key("ip", ip))

