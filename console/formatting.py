"""Money and time as every page, export, mail and PDF shows them."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals and thousands separators: 1600000 → 16,000.00, -150 → -1.50."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def local_time(moment: datetime | None) -> str:
    """The moment in the site's time zone to the second, or "" for none."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""
