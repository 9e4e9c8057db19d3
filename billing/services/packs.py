"""Resource packs: this month's free pack, and expiry of packs past their date."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from billing import clock
from billing.models import (
    Book,
    EntryReason,
    Pack,
    PackKind,
    Product,
    UsageRecord,
)
from billing.services.ledger import entry_write
from console.clock import now_or
from console.models import Account, AccountStatus, ServiceStatus


def free_pack_ensure(*, account: Account, now: datetime | None = None, product: str = Product.IMAGE) -> Pack:
    """This month's free pack of ``product`` (FREE_PACK_CALLS calls, or FREE_PACK_VIDEO_SECONDS
    seconds of video), issued once per account, month and product (a unique constraint backs it)."""
    now = now_or(now)
    month = clock.month_of(now)
    existing = Pack.objects.filter(account=account, kind=PackKind.FREE, month=month, product=product).first()
    if existing is not None:
        return existing
    video = product == Product.VIDEO
    units = settings.FREE_PACK_VIDEO_SECONDS if video else settings.FREE_PACK_CALLS
    name = (_("Free video seconds %(month)s") if video else _("Free pack %(month)s")) % {"month": f"{month:%Y-%m}"}
    try:
        with transaction.atomic():
            pack = Pack.objects.create(
                account=account, kind=PackKind.FREE, product=product, name=name, calls_total=units, remaining=units,
                month=month, valid_from=clock.month_start(month), expires_at=clock.month_end(month), created_at=now)
            entry_write(account=account, book=Book.PACK, reason=EntryReason.PACK_ISSUE, delta=units, now=now, pack=pack)
    except IntegrityError:
        return Pack.objects.get(account=account, kind=PackKind.FREE, month=month, product=product)
    return pack


def free_packs_issue(*, now: datetime | None = None) -> int:
    """Beat, on the 1st: this month's free pack for every active account that has activated the
    service (activation grants the first pack itself)."""
    now = now_or(now)
    month = clock.month_of(now)
    issued = 0
    accounts = Account.objects.filter(status=AccountStatus.ACTIVE, service_status=ServiceStatus.OPENED)
    for product in Product.values:
        has_pack = Pack.objects.filter(account=OuterRef("pk"), kind=PackKind.FREE, month=month, product=product)
        for account in accounts.filter(~Exists(has_pack)).iterator():
            free_pack_ensure(account=account, now=now, product=product)
            issued += 1
    return issued


def packs_expire(*, now: datetime | None = None) -> int:
    """Zero every pack past its expiry with an expiry entry; expired calls are never consumed.

    A pack waits while its account has billable calls made before the expiry still unsettled (a
    lost task, a queue backlog at midnight): they draw on it first, as settlement goes by call time."""
    now = now_or(now)
    expired = 0
    pending = UsageRecord.objects.filter(account=OuterRef("account"), product=OuterRef("product"), billable=True,
                                         settled_at__isnull=True, created_at__lt=OuterRef("expires_at"))
    due = Pack.objects.filter(expired_at__isnull=True, expires_at__lte=now).filter(~Exists(pending))
    for pack_id in due.values_list("id", flat=True):
        with transaction.atomic():
            pack = Pack.objects.select_for_update().get(id=pack_id)
            if pack.expired_at is not None:
                continue
            if pack.remaining:
                entry_write(account=pack.account, book=Book.PACK, reason=EntryReason.EXPIRY, delta=-pack.remaining,
                            now=now, pack=pack)
            Pack.objects.filter(id=pack.id).update(remaining=0, expired_at=now)
            expired += 1
    return expired
