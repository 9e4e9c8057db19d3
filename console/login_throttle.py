"""Sign-in lockout that stops guessing without letting anyone lock a login out.

The design (README, "Sign-in lockout"):

- A **source** is where an attempt comes from: a *known device* (this browser carries our signed
  cookie saying it signed in to this login before) or else the client address. A source is
  *known* for a login when it is such a device, or an address that signed in to it within
  ``LOGIN_KNOWN_SOURCE_DAYS``.
- Failures are counted per (login, source): ``LOGIN_FAILURE_LIMIT`` of them lock that pair for
  ``LOGIN_LOCKOUT_SECONDS``. A guesser locks only themselves.
- Failures from sources that are **not** known for the login also draw on the login's budget for
  new sources (``LOGIN_NEW_SOURCE_FAILURE_LIMIT``) and on the address's budget across all logins
  (four times ``LOGIN_FAILURE_LIMIT``). When the login's budget is spent, new sources are refused
  for it until the window ends — but its owner's known devices and addresses still get in, each
  with its own pair limit. Guessing from many addresses stops at the budget; it cannot shut the
  owner (or the operator) out.
- An operator can unlock a login: every count of it is dropped (its epoch moves on).
- Wrong two-step verification codes (console/mfa.py) are counted the same way under a login key of
  their own (``code_source``): a stolen password cannot be followed by unlimited code guesses, and
  code guesses do not lock the password step. Every source counts as new for codes.

Counts live in the shared cache (Redis in production) so every web process sees them. Each attempt
is counted before its password is checked, so concurrent guesses cannot slip past a limit; a
success gives its counts back.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from console.counters import counter_bump
from console.counters import throttle_cache as cache

DEVICE_COOKIE = "ronghe_device"
_DEVICE_SALT = "ronghe.login-device"
_DEVICE_MAX_LOGINS = 10  # logins remembered per browser


def _hash(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def _epoch(login: str) -> str:
    return cache.get(f"login-epoch:{login}") or "0"


@dataclass(frozen=True)
class Source:
    login: str  # hash of the login name as typed
    address: str  # hash of the client address
    device: str | None  # this browser's device id, when it carries our cookie
    known: bool

    @property
    def _epoch(self) -> str:
        return _epoch(self.login)

    def pair_key(self) -> str:
        where = f"d{self.device}" if self.known and self.device else f"a{self.address}"
        return f"login-fail:pair:{self.login}:{self._epoch}:{where}"

    def new_sources_key(self) -> str:
        return f"login-fail:new:{self.login}:{self._epoch}"

    def address_key(self) -> str:
        return f"login-fail:ip:{self.address}"


def _limits() -> tuple[int, int, int]:
    pair = settings.LOGIN_FAILURE_LIMIT
    return pair, settings.LOGIN_NEW_SOURCE_FAILURE_LIMIT, pair * 4


def _device(request: HttpRequest | None) -> tuple[str | None, list[str]]:
    """(device id, hashes of the logins this browser signed in to) from the signed cookie."""
    raw = request.COOKIES.get(DEVICE_COOKIE, "") if request is not None else ""
    if not raw:
        return None, []
    try:
        payload = signing.loads(raw, salt=_DEVICE_SALT, max_age=settings.LOGIN_KNOWN_SOURCE_DAYS * 86400)
        return str(payload["d"]), [str(h) for h in payload["l"]]
    except (signing.BadSignature, KeyError, TypeError):
        return None, []


def source_for(request: HttpRequest | None, *, username: str, ip: str) -> Source:
    login, address = _hash(username), _hash(ip)
    device, logins = _device(request)
    known = login in logins or bool(cache.get(f"login-known:{login}:{address}"))
    return Source(login=login, address=address, device=device, known=known)


_CODE_LOGIN = "mfa:"


def code_source(request: HttpRequest, *, username: str, ip: str) -> Source:
    """The source of a two-step verification code: counted apart from passwords, never known."""
    return Source(login=_hash(_CODE_LOGIN + username), address=_hash(ip), device=None, known=False)


def _keys(source: Source) -> list[tuple[str, int]]:
    pair_limit, new_limit, address_limit = _limits()
    keys = [(source.pair_key(), pair_limit)]
    if not source.known:
        keys += [(source.new_sources_key(), new_limit), (source.address_key(), address_limit)]
    return keys


def is_locked(source: Source) -> bool:
    keys = _keys(source)
    counts = cache.get_many([key for key, _ in keys])
    return any(counts.get(key, 0) >= limit for key, limit in keys)


def attempt_reserve(source: Source) -> bool:
    """Counts this attempt as a failure *before* the password is checked and says whether it is
    within every limit. Checking first and counting after would let concurrent guesses all pass
    the check while the first ones are still hashing; counting first lets at most the limit through.
    A success then calls ``succeeded``, which takes the counts back."""
    return all(counter_bump(key, window=settings.LOGIN_LOCKOUT_SECONDS) <= limit for key, limit in _keys(source))


def succeeded(source: Source) -> None:
    cache.delete(source.pair_key())
    for key, _limit in _keys(source)[1:]:
        with contextlib.suppress(ValueError):  # expired meanwhile
            cache.decr(key)


def remember(request: HttpRequest, response: HttpResponse, *, username: str, ip: str) -> None:
    """After a successful sign-in: this address and this browser are known sources of the login."""
    login = _hash(username)
    days = settings.LOGIN_KNOWN_SOURCE_DAYS
    cache.set(f"login-known:{login}:{_hash(ip)}", 1, timeout=days * 86400)
    device, logins = _device(request)
    logins = [login, *(h for h in logins if h != login)][:_DEVICE_MAX_LOGINS]
    value = signing.dumps({"d": device or secrets.token_hex(12), "l": logins}, salt=_DEVICE_SALT, compress=True)
    response.set_cookie(DEVICE_COOKIE, value, max_age=days * 86400, httponly=True, samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE)


def new_sources_locked(username: str) -> bool:
    """Whether the login refuses sign-ins from new devices and addresses right now."""
    login = _hash(username)
    return (cache.get(f"login-fail:new:{login}:{_epoch(login)}") or 0) >= settings.LOGIN_NEW_SOURCE_FAILURE_LIMIT


def unlock(username: str) -> None:
    """Drops every failure count of the login (pairs and its new-source budget), passwords and
    two-step codes alike: their epochs move on."""
    for login in (username, _CODE_LOGIN + username):
        cache.set(f"login-epoch:{_hash(login)}", secrets.token_hex(6), timeout=None)
