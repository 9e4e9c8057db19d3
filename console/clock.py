"""The injectable clock: every service takes ``now=None`` so tests can travel in time without sleeping."""

from datetime import datetime

from django.utils import timezone


def now_or(now: datetime | None) -> datetime:
    """``now`` when a caller (a test, a batch) fixes the time, else the current time."""
    return now if now is not None else timezone.now()
