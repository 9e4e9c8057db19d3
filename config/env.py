"""Typed readers for settings that come from the environment, used by config/settings.py only.

Sloppy values fail loudly at start-up, with the variable's name, instead of being read as a default
(or failing later, inside a task).
"""

import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        value = default
    else:
        try:
            value = int(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be an integer, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        value = default
    else:
        try:
            value = float(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be a number, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_address_ports(name: str) -> list[tuple[str, int]]:
    """A comma-separated list of IP:port pairs ([v6]:port for IPv6), each checked."""
    import ipaddress

    out = []
    for item in env_list(name):
        host, sep, port = item.rpartition(":")
        try:
            out.append((str(ipaddress.ip_address(host.strip("[]"))), int(port)))
        except ValueError as exc:
            raise ValueError(f"{name} must list IP:port pairs, got {item!r}") from exc
        if not sep or not 0 < out[-1][1] < 65536:
            raise ValueError(f"{name} must list IP:port pairs, got {item!r}")
    return out


# What Django's own deploy check asks of a secret key (check.W009), made a hard rule in production.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


def secret_key_problem(value: str) -> str | None:
    """Why ``value`` is too weak to sign sessions, CSRF tokens and file links, or None."""
    if len(value) < SECRET_KEY_MIN_LENGTH:
        return f"must be at least {SECRET_KEY_MIN_LENGTH} characters (got {len(value)})"
    if len(set(value)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"must use at least {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different characters"
    return None


def fernet_keys_problem(value: str) -> str | None:
    """Why a comma-separated list of Fernet keys is unusable, or None. Each must be 32 bytes in
    url-safe base64, which is what ``Fernet.generate_key()`` prints."""
    from cryptography.fernet import Fernet

    keys = [k.strip() for k in value.split(",") if k.strip()]
    if not keys:
        return "is empty"
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            return f"key {position} of {len(keys)} is not a Fernet key (32 url-safe base64-encoded bytes)"
    return None
