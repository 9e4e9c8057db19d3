"""Calendar arithmetic in the console's time zone (months, their starts and ends). Every billing service
takes ``now`` (console.clock.now_or) so tests cross month boundaries without sleeping."""

from datetime import date, datetime

from django.utils import timezone


def month_of(moment: datetime) -> date:
    """The first day of the (local) month ``moment`` falls in."""
    return timezone.localtime(moment).date().replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + (month.month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=timezone.get_current_timezone())


def month_end(month: date) -> datetime:
    """The first instant of the next month (exclusive end)."""
    return month_start(add_months(month, 1))


def one_month_later(moment: datetime) -> datetime:
    """Same local day and time next month, clamped to the month's last day (31 Jan → 28/29 Feb)."""
    return months_later(moment, 1)


def months_later(moment: datetime, n: int) -> datetime:
    local = timezone.localtime(moment)
    first = add_months(local.date().replace(day=1), n)
    last_day = (add_months(first, 1) - first).days
    return local.replace(year=first.year, month=first.month, day=min(local.day, last_day))
