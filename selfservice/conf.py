"""Self-service knobs. Each reads a Django setting of the same name when one is set (tests
override them), else the environment through the typed helpers, else the default."""

from django.conf import settings

from console.env import env_int


def _int(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    return int(value) if value is not None else env_int(name, default)


def verify_max_age() -> int:
    """Seconds a sign-up verification link stays valid."""
    return _int("SIGNUP_VERIFY_MAX_AGE", 3 * 24 * 3600)


def invitation_days() -> int:
    """Days an invitation link stays valid unless the operator picks another figure."""
    return _int("SIGNUP_INVITATION_DAYS", 7)


def rate_window() -> int:
    """Seconds over which sign-up and password-reset attempts are counted."""
    return _int("SELFSERVICE_RATE_WINDOW", 3600)


def rate_per_ip() -> int:
    return _int("SELFSERVICE_RATE_PER_IP", 20)


def rate_per_email() -> int:
    return _int("SELFSERVICE_RATE_PER_EMAIL", 3)


def free_calls() -> int:
    """What the activation page promises: the pack billing issues."""
    from billing.conf import free_pack_calls

    return free_pack_calls()
