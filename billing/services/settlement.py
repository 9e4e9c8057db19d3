"""Settlement of metered calls, exactly once each: FuseFace's free pack → paid packs (earliest
expiry) → postpaid; FuseFaceUltra's straight to postpaid at its own price (docs/billing.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When

from billing import clock, notices
from billing.models import (
    FUSE_FACE,
    FUSE_FACE_ULTRA,
    Bill,
    BillingMode,
    BillStatus,
    Book,
    EntryReason,
    Pack,
    PackKind,
    Product,
    SettledTo,
    UsageRecord,
)
from billing.selectors import qps_total
from billing.services.ledger import entry_write, profile_locked
from billing.services.packs import free_pack_ensure
from console.clock import now_or
from console.models import Account


def _pack_for(account: Account, at: datetime, product: str) -> Pack | None:
    """The pack a call made at ``at`` draws on: this month's free pack, then paid packs by expiry."""
    return (Pack.objects.select_for_update()
            .filter(account=account, product=product, remaining__gt=0, expired_at__isnull=True, valid_from__lte=at,
                    expires_at__gt=at)
            .annotate(rank=Case(When(kind=PackKind.FREE, then=Value(0)), default=Value(1),
                                output_field=IntegerField()))
            .order_by("rank", "expires_at", "id").first())


def _open_bill(account: Account, at: datetime, now: datetime, product: str) -> Bill:
    """The open postpaid bill for a call made at ``at``; a call settled after its month closed
    accrues to the current month instead of reopening a closed bill."""
    for month in (clock.month_of(at), clock.month_of(now)):
        bill, _created = Bill.objects.get_or_create(account=account, month=month, product=product,
                                                    defaults={"created_at": now})
        if bill.status == BillStatus.OPEN:
            return bill
    raise RuntimeError(f"the bill of {clock.month_of(now)} for account {account.id} is already closed")


def usage_settle(*, record_id: int, now: datetime | None = None) -> UsageRecord | None:
    """Settle one record exactly once: free pack → paid packs (earliest expiry) → postpaid, or for
    FuseFaceUltra straight to postpaid (in QPS billing mode, either is covered by its own valid QPS).

    The record row is locked first, so concurrent workers and retries queue behind each other and
    the losers find it settled; the unique ledger constraint backs this up in the database."""
    now = now_or(now)
    with transaction.atomic():
        record = UsageRecord.objects.select_for_update().select_related("account").filter(id=record_id).first()
        if record is None or record.settled_at is not None:
            return record
        account = record.account
        fields = ["settled_at", "settled_to"]
        if not record.billable:
            record.settled_to = SettledTo.NOT_BILLED
        else:
            profile = profile_locked(account)
            # The QPS billing mode covers image calls, each action by its own QPS (FuseFace's or FuseFaceUltra's).
            action = FUSE_FACE_ULTRA if record.action == FUSE_FACE_ULTRA else FUSE_FACE
            if (record.product == Product.IMAGE and profile.mode == BillingMode.QPS
                    and qps_total(account=account, at=record.created_at, action=action) > 0):
                record.settled_to = SettledTo.QPS
            elif action == FUSE_FACE_ULTRA:
                # Packs are FuseFace's calls: FuseFaceUltra accrues on the month's bill at its own price.
                bill = _open_bill(account, record.created_at, now, Product.IMAGE)
                Bill.objects.filter(id=bill.id).update(ultra_calls=F("ultra_calls") + 1)
                entry_write(account=account, book=Book.BILL_ULTRA_CALLS, reason=EntryReason.USAGE, delta=1, now=now,
                            bill=bill, usage=record)
                record.bill = bill
                record.settled_to = SettledTo.POSTPAID
                fields.append("bill")
            else:
                fields += _draw(record, now)
        record.settled_at = now
        record.save(update_fields=fields)
    return record


def _draw(record: UsageRecord, now: datetime) -> list[str]:
    """Take the record's units from its product's packs in order (a video job's seconds may span
    several), the rest postpaid; one ledger entry per part. Sets settled_to: the free pack when it
    covered everything, postpaid when any unit went postpaid, else the resource pack."""
    account, left, part = record.account, record.units, 0
    if clock.month_of(record.created_at) == clock.month_of(now):
        free_pack_ensure(account=account, now=record.created_at, product=record.product)
    kinds: set[str] = set()
    while left > 0:
        pack = _pack_for(account, record.created_at, record.product)
        if pack is None:
            break
        take = min(left, pack.remaining)
        if Pack.objects.filter(id=pack.id, remaining__gte=take).update(remaining=F("remaining") - take) != 1:
            raise RuntimeError(f"pack {pack.id} changed under its lock")
        entry_write(account=account, book=Book.PACK, reason=EntryReason.USAGE, delta=-take, now=now, pack=pack,
                    usage=record, part=part)
        tenth = pack.calls_total // 10
        if pack.kind == PackKind.PAID and pack.calls_total >= 10 and pack.remaining > tenth >= pack.remaining - take:
            pack.remaining -= take  # crossed 10% left: once per pack
            notices.notify_pack_low(pack=pack)
        if record.pack_id is None:
            record.pack = pack
        kinds.add(pack.kind)
        left, part = left - take, part + 1
    fields = ["pack"] if record.pack_id is not None else []
    if left > 0:
        bill = _open_bill(account, record.created_at, now, record.product)
        Bill.objects.filter(id=bill.id).update(calls=F("calls") + left)
        entry_write(account=account, book=Book.BILL_CALLS, reason=EntryReason.USAGE, delta=left, now=now, bill=bill,
                    usage=record, part=part)
        record.bill = bill
        fields.append("bill")
        record.settled_to = SettledTo.POSTPAID
    elif kinds == {PackKind.FREE}:
        record.settled_to = SettledTo.FREE_PACK
    else:
        record.settled_to = SettledTo.PAID_PACK
    return fields


def usage_settle_pending(*, older_than_seconds: int = 0, before: datetime | None = None,
                         now: datetime | None = None, limit: int = 5000) -> int:
    """Settle records whose task was lost (or all before ``before``, at month close)."""
    now = now_or(now)
    qs = UsageRecord.objects.filter(settled_at__isnull=True)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    else:
        qs = qs.filter(created_at__lte=now - timedelta(seconds=older_than_seconds))
    ids = list(qs.order_by("created_at", "id").values_list("id", flat=True)[:limit])
    for record_id in ids:
        usage_settle(record_id=record_id, now=now)
    return len(ids)
