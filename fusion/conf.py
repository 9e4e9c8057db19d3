"""Fusion settings. Each is read from Django settings when the lead's settings define it, else
from the environment through the typed helpers (docs/architecture.md: settings come from the environment)."""

from django.conf import settings

from console.env import env_int


def _setting(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    return int(value) if value is not None else env_int(name, default)


def job_deadline_seconds() -> int:
    """How long the API waits for a FuseFace job before FailedOperation.RequestTimeout."""
    return _setting("FUSION_JOB_DEADLINE_SECONDS", 20)


def console_job_deadline_seconds() -> int:
    return _setting("FUSION_CONSOLE_JOB_DEADLINE_SECONDS", 60)


def result_ttl_seconds() -> int:
    """Signed result links live 7 days, and so do the stored results behind them."""
    return _setting("FUSION_RESULT_TTL_SECONDS", 7 * 24 * 3600)
