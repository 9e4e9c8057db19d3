"""Writes of billing (docs/billing.md): metering, settlement, packs, orders, bills, top-ups, invoices.

Every change to a balance, a pack's remaining calls or a bill writes a ``LedgerEntry`` in the
same transaction, so each figure always equals the sum of its entries (``billing_check_ledger``).
Per account, the ``BillingProfile`` row is the lock: settlement, orders, top-ups, bill payment and
bill close all take it first (then packs / bills), so they serialize per account and never deadlock.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Value, When
from django.utils.translation import gettext as _

from billing import clock, notices
from billing.conf import bill_due_days, free_pack_calls
from billing.models import (
    Bill,
    BillingMode,
    BillingProfile,
    BillLine,
    BillStatus,
    Book,
    EntryReason,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    Order,
    Pack,
    PackKind,
    PriceItem,
    PriceKind,
    QpsGrant,
    SettledTo,
    UsageRecord,
    UsageSource,
)
from billing.prices import price_list_ensure
from console.formatting import yuan
from console.models import Account, AccountStatus, ServiceStatus
from console.services import account_set_status, audit_record
from materials.services import material_quota_add

log = logging.getLogger(__name__)

# Errors caused by the caller's input are billable (the engine did the work); everything rejected
# before processing, rate-limited, or failed on our side is not (docs/billing.md).
BILLABLE_ERROR_CODES = frozenset({
    "FailedOperation.NoFaceDetected",
    "FailedOperation.FaceSizeTooSmall",
    "FailedOperation.ImageDecodeFailed",
    "FailedOperation.ImageResolutionTooSmall",
    "FailedOperation.ImageResolutionExceed",
    "FailedOperation.ImageSizeExceed",
    "FailedOperation.ImagePixelExceed",
    "FailedOperation.ImageDownloadError",
    "InvalidParameterValue.UrlIllegal",
})
MAX_ORDER_QUANTITY = 100


def is_billable(result_code: str) -> bool:
    return result_code in ("", "Success") or result_code in BILLABLE_ERROR_CODES


def _actor_label(actor: AbstractBaseUser | None) -> str:
    return actor.get_username() if actor is not None and actor.is_authenticated else "system"


def _entry(*, account: Account, book: str, reason: str, delta: int, now: datetime,
           actor: AbstractBaseUser | None = None, **links: object) -> LedgerEntry:
    return LedgerEntry.objects.create(account=account, book=book, reason=reason, delta=delta, created_at=now,
                                      actor_label=_actor_label(actor), **links)


def profile_locked(account: Account) -> BillingProfile:
    """The account's billing row, created on first use, locked until the transaction ends."""
    BillingProfile.objects.get_or_create(account=account)
    return BillingProfile.objects.select_for_update().get(account=account)


def _balance_change(*, profile: BillingProfile, delta: int, reason: str, now: datetime,
                    actor: AbstractBaseUser | None = None, note: str = "", **links: object) -> LedgerEntry:
    entry = _entry(account=profile.account, book=Book.BALANCE, reason=reason, delta=delta, now=now, actor=actor,
                   note=note[:200], **links)
    BillingProfile.objects.filter(id=profile.id).update(balance_fen=F("balance_fen") + delta)
    profile.balance_fen += delta
    return entry


# --- metering and settlement ----------------------------------------------------------------

def usage_record_create(*, request_id: str, account: Account, action: str, result_code: str, billable: bool,
                        latency_ms: int, campaign_project_id: str = "", material_model_id: str = "",
                        source: str = "api", now: datetime | None = None) -> UsageRecord:
    """Meter one call. Idempotent by ``request_id``: a second call returns the first row.

    Billable calls are settled by a task enqueued on commit; the others are closed at once."""
    now = clock.now_or(now)
    billable = billable and source == UsageSource.API  # console test-effect runs are never billed
    try:
        with transaction.atomic():
            record = UsageRecord.objects.create(
                request_id=request_id, account=account, action=action, result_code=result_code or "",
                latency_ms=max(0, int(latency_ms)), billable=billable, source=source, created_at=now,
                campaign_project_id=campaign_project_id or "", material_model_id=material_model_id or "",
                settled_at=None if billable else now, settled_to="" if billable else SettledTo.NOT_BILLED,
            )
    except IntegrityError:
        return UsageRecord.objects.get(request_id=request_id)
    if billable:
        record_id = record.id
        transaction.on_commit(lambda: _enqueue_settlement(record_id))
    return record


def _enqueue_settlement(record_id: int) -> None:
    # The call has been answered already; a broker hiccup must not turn it into an error. The
    # sweeper (billing.tasks.settle_sweep) settles whatever was not enqueued.
    from billing.tasks import settle_usage

    try:
        settle_usage.delay(record_id)
    except Exception:
        log.warning("could not enqueue settlement of usage record %s; the sweeper will settle it", record_id,
                    exc_info=True)


def _qps_active_total(account: Account, at: datetime) -> int:
    return sum(QpsGrant.objects.filter(account=account, starts_at__lte=at, ends_at__gt=at)
               .values_list("qps", flat=True))


def _pack_for(account: Account, at: datetime) -> Pack | None:
    """The pack a call made at ``at`` draws on: this month's free pack, then paid packs by expiry."""
    return (Pack.objects.select_for_update()
            .filter(account=account, remaining__gt=0, expired_at__isnull=True, valid_from__lte=at, expires_at__gt=at)
            .annotate(rank=Case(When(kind=PackKind.FREE, then=Value(0)), default=Value(1),
                                output_field=IntegerField()))
            .order_by("rank", "expires_at", "id").first())


def _open_bill(account: Account, at: datetime, now: datetime) -> Bill:
    """The open postpaid bill for a call made at ``at``; a call settled after its month closed
    accrues to the current month instead of reopening a closed bill."""
    for month in (clock.month_of(at), clock.month_of(now)):
        bill, _created = Bill.objects.get_or_create(account=account, month=month, defaults={"created_at": now})
        if bill.status == BillStatus.OPEN:
            return bill
    raise RuntimeError(f"the bill of {clock.month_of(now)} for account {account.id} is already closed")


def usage_settle(*, record_id: int, now: datetime | None = None) -> UsageRecord | None:
    """Settle one record exactly once: free pack → paid packs (earliest expiry) → postpaid.

    The record row is locked first, so concurrent workers and retries queue behind each other and
    the losers find it settled; the unique ledger constraint backs this up in the database."""
    now = clock.now_or(now)
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
            if profile.mode == BillingMode.QPS and _qps_active_total(account, record.created_at) > 0:
                record.settled_to = SettledTo.QPS
            else:
                if clock.month_of(record.created_at) == clock.month_of(now):
                    free_pack_ensure(account=account, now=record.created_at)
                pack = _pack_for(account, record.created_at)
                if pack is not None:
                    if Pack.objects.filter(id=pack.id, remaining__gt=0).update(remaining=F("remaining") - 1) != 1:
                        raise RuntimeError(f"pack {pack.id} changed under its lock")
                    _entry(account=account, book=Book.PACK, reason=EntryReason.USAGE, delta=-1, now=now, pack=pack,
                           usage=record)
                    if pack.kind == PackKind.PAID and pack.calls_total >= 10 \
                            and pack.remaining - 1 == pack.calls_total // 10:  # crossed 10% left: once per pack
                        pack.remaining -= 1
                        notices.notify_pack_low(pack=pack)
                    record.pack = pack
                    record.settled_to = SettledTo.FREE_PACK if pack.kind == PackKind.FREE else SettledTo.PAID_PACK
                    fields.append("pack")
                else:
                    bill = _open_bill(account, record.created_at, now)
                    Bill.objects.filter(id=bill.id).update(calls=F("calls") + 1)
                    _entry(account=account, book=Book.BILL_CALLS, reason=EntryReason.USAGE, delta=1, now=now,
                           bill=bill, usage=record)
                    record.bill = bill
                    record.settled_to = SettledTo.POSTPAID
                    fields.append("bill")
        record.settled_at = now
        record.save(update_fields=fields)
    return record


def usage_settle_pending(*, older_than_seconds: int = 0, before: datetime | None = None,
                         now: datetime | None = None, limit: int = 5000) -> int:
    """Settle records whose task was lost (or all before ``before``, at month close)."""
    now = clock.now_or(now)
    qs = UsageRecord.objects.filter(settled_at__isnull=True)
    if before is not None:
        qs = qs.filter(created_at__lt=before)
    else:
        qs = qs.filter(created_at__lte=now - timedelta(seconds=older_than_seconds))
    ids = list(qs.order_by("created_at", "id").values_list("id", flat=True)[:limit])
    for record_id in ids:
        usage_settle(record_id=record_id, now=now)
    return len(ids)


# --- packs --------------------------------------------------------------------------------

def free_pack_ensure(*, account: Account, now: datetime | None = None) -> Pack:
    """This month's free pack, issued once per account and month (a unique constraint backs it)."""
    now = clock.now_or(now)
    month = clock.month_of(now)
    existing = Pack.objects.filter(account=account, kind=PackKind.FREE, month=month).first()
    if existing is not None:
        return existing
    calls = free_pack_calls()
    try:
        with transaction.atomic():
            pack = Pack.objects.create(
                account=account, kind=PackKind.FREE, name=_("Free pack %(month)s") % {"month": f"{month:%Y-%m}"},
                calls_total=calls, remaining=calls, month=month, valid_from=clock.month_start(month),
                expires_at=clock.month_end(month), created_at=now)
            _entry(account=account, book=Book.PACK, reason=EntryReason.PACK_ISSUE, delta=calls, now=now, pack=pack)
    except IntegrityError:
        return Pack.objects.get(account=account, kind=PackKind.FREE, month=month)
    return pack


def free_packs_issue(*, now: datetime | None = None) -> int:
    """Beat, on the 1st: this month's free pack for every active account that has activated the
    service (activation grants the first pack itself)."""
    now = clock.now_or(now)
    month = clock.month_of(now)
    has_pack = Pack.objects.filter(account=OuterRef("pk"), kind=PackKind.FREE, month=month)
    issued = 0
    accounts = Account.objects.filter(status=AccountStatus.ACTIVE, service_status=ServiceStatus.OPENED)
    for account in accounts.filter(~Exists(has_pack)).iterator():
        free_pack_ensure(account=account, now=now)
        issued += 1
    return issued


def packs_expire(*, now: datetime | None = None) -> int:
    """Zero every pack past its expiry with an expiry entry; expired calls are never consumed.

    A pack waits while its account has billable calls made before the expiry still unsettled (a
    lost task, a queue backlog at midnight): they draw on it first, as settlement goes by call time."""
    now = clock.now_or(now)
    expired = 0
    pending = UsageRecord.objects.filter(account=OuterRef("account"), billable=True, settled_at__isnull=True,
                                         created_at__lt=OuterRef("expires_at"))
    due = Pack.objects.filter(expired_at__isnull=True, expires_at__lte=now).filter(~Exists(pending))
    for pack_id in due.values_list("id", flat=True):
        with transaction.atomic():
            pack = Pack.objects.select_for_update().get(id=pack_id)
            if pack.expired_at is not None:
                continue
            if pack.remaining:
                _entry(account=pack.account, book=Book.PACK, reason=EntryReason.EXPIRY, delta=-pack.remaining,
                       now=now, pack=pack)
            Pack.objects.filter(id=pack.id).update(remaining=0, expired_at=now)
            expired += 1
    return expired


# --- orders and balance -------------------------------------------------------------------

def _order_number(now: datetime) -> str:
    return f"{clock.timezone.localtime(now):%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def order_quote(*, account: Account, price_code: str, quantity: int) -> tuple[PriceItem, int, int]:
    """(item, amount, balance after) for the confirmation page; raises ValidationError when unbuyable."""
    price_list_ensure()
    item = PriceItem.objects.filter(code=price_code, active=True,
                                    kind__in=[PriceKind.PACK, PriceKind.QPS, PriceKind.MATERIAL_QUOTA]).first()
    if item is None:
        raise ValidationError(_("This product is not on sale; choose one from the price list."), code="invalid")
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_ORDER_QUANTITY:
        raise ValidationError(_("Enter a quantity between 1 and %(max)d.") % {"max": MAX_ORDER_QUANTITY},
                              code="invalid")
    amount = item.price_fen * quantity
    balance = BillingProfile.objects.filter(account=account).values_list("balance_fen", flat=True).first() or 0
    return item, amount, balance - amount


def order_create(*, account: Account, price_code: str, quantity: int, actor: AbstractBaseUser | None,
                 confirm_key: str = "", expected_amount_fen: int | None = None,
                 now: datetime | None = None) -> Order:
    """Buy from the balance: a resource pack, QPS for a month, or material quota blocks.

    ``confirm_key`` (the confirmation page's one-time key) makes a resubmitted confirmation return
    the order it already paid; ``expected_amount_fen`` (the amount the customer confirmed) refuses
    to charge a price changed since."""
    now = clock.now_or(now)
    item, amount, _after = order_quote(account=account, price_code=price_code, quantity=quantity)
    with transaction.atomic():
        profile = profile_locked(account)
        if confirm_key:
            done = Order.objects.filter(account=account, confirm_key=confirm_key).first()
            if done is not None:
                return done
        # Read under the billing lock: a freeze is an operator's stop on the account, purchases included.
        if Account.objects.filter(id=account.id, status__in=[AccountStatus.FROZEN, AccountStatus.STOPPED]).exists():
            raise ValidationError(_("This account is frozen or stopped: purchases are not possible. "
                                    "Contact the platform operator."), code="account_unavailable")
        if expected_amount_fen is not None and expected_amount_fen != amount:
            raise ValidationError(
                _("The price has changed: this order now costs ¥%(amount)s. Check it and confirm again.")
                % {"amount": yuan(amount)}, code="price_changed")
        if profile.balance_fen < amount:
            raise ValidationError(
                _("Insufficient balance: this order costs ¥%(amount)s but the balance is ¥%(balance)s. "
                  "Ask the platform operator to top up your balance, then buy again.")
                % {"amount": yuan(amount), "balance": yuan(profile.balance_fen)}, code="balance_insufficient")
        order = Order.objects.create(
            account=account, number=_order_number(now), kind=item.kind, price_code=item.code, item_name=item.name,
            quantity=quantity, unit_price_fen=item.price_fen, amount_fen=amount, created_by=actor, created_at=now,
            confirm_key=confirm_key[:40])
        _balance_change(profile=profile, delta=-amount, reason=EntryReason.ORDER, now=now, actor=actor, order=order,
                        note=f"{item.name} × {quantity}")
        if item.kind == PriceKind.PACK:
            calls = item.quantity * quantity
            pack = Pack.objects.create(account=account, kind=PackKind.PAID, name=item.name, calls_total=calls,
                                       remaining=calls, valid_from=now, expires_at=clock.months_later(now, 12),
                                       order=order, created_at=now)
            _entry(account=account, book=Book.PACK, reason=EntryReason.PACK_ISSUE, delta=calls, now=now,
                   actor=actor, pack=pack, order=order)
        elif item.kind == PriceKind.QPS:
            QpsGrant.objects.create(account=account, qps=item.quantity * quantity, starts_at=now,
                                    ends_at=clock.one_month_later(now), order=order, created_at=now)
        else:
            material_quota_add(account=account, blocks=quantity, actor=actor,
                               reason=_("Order %(number)s") % {"number": order.number})
        audit_record(actor=actor, account=account, action="billing.order", target_type="order",
                     target_id=order.number, to_state=order.status,
                     data={"price_code": item.code, "quantity": quantity, "amount_fen": amount})
    return order


def balance_top_up(*, account: Account, amount_fen: int, actor: AbstractBaseUser | None, note: str,
                   now: datetime | None = None) -> LedgerEntry:
    """Operators: add money to an account's balance; unpaid bills are then paid from it, oldest first."""
    now = clock.now_or(now)
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationError(_("Enter a positive amount."), code="invalid")
    if not note.strip():
        raise ValidationError(_("Write a note saying where the money came from (e.g. the bank transfer number)."),
                              code="invalid")
    with transaction.atomic():
        profile = profile_locked(account)
        entry = _balance_change(profile=profile, delta=amount_fen, reason=EntryReason.TOPUP, now=now, actor=actor,
                                note=note.strip())
        audit_record(actor=actor, account=account, action="billing.top_up", target_type="account",
                     target_id=account.id, reason=note.strip(), data={"amount_fen": amount_fen})
        for bill in Bill.objects.filter(account=account, status=BillStatus.UNPAID).order_by("month"):
            if profile.balance_fen < bill.amount_fen:
                break
            _bill_pay_locked(profile=profile, bill=bill, actor=actor, now=now)
    _arrears_lift(account=account, now=now)
    return entry


def ledger_reverse(*, entry: LedgerEntry, actor: AbstractBaseUser | None, reason: str,
                   now: datetime | None = None) -> LedgerEntry:
    """Undo a balance entry (a top-up typed wrong) by appending its opposite; never edits the row."""
    now = clock.now_or(now)
    if entry.book != Book.BALANCE or entry.reason != EntryReason.TOPUP:
        raise ValidationError(_("Only top-ups can be reversed here."), code="invalid")
    if not reason.strip():
        raise ValidationError(_("Say why the entry is reversed."), code="invalid")
    with transaction.atomic():
        profile = profile_locked(entry.account)
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise ValidationError(_("This entry has already been reversed."), code="invalid")
        if profile.balance_fen < entry.delta:
            raise ValidationError(_("The balance is lower than the top-up: it has been spent already."),
                                  code="invalid")
        reversal = _balance_change(profile=profile, delta=-entry.delta, reason=EntryReason.REVERSAL, now=now,
                                   actor=actor, note=reason.strip(), reverses=entry)
        audit_record(actor=actor, account=entry.account, action="billing.reversal", target_type="ledger_entry",
                     target_id=entry.id, reason=reason.strip(), data={"amount_fen": entry.delta})
    return reversal


def billing_mode_set(*, account: Account, mode: str, actor: AbstractBaseUser | None,
                     now: datetime | None = None) -> BillingProfile:
    now = clock.now_or(now)
    if mode not in BillingMode.values:
        raise ValidationError(_("Unknown billing mode."), code="invalid")
    with transaction.atomic():
        profile = profile_locked(account)
        old = profile.mode
        if old == mode:
            return profile
        if mode == BillingMode.QPS and _qps_active_total(account, now) <= 0:
            raise ValidationError(_("Buy QPS first: QPS billing needs QPS valid now."), code="invalid")
        if BillingProfile.objects.filter(id=profile.id, mode=old).update(mode=mode) != 1:
            raise ValidationError(_("The billing mode changed meanwhile; reload and try again."), code="conflict")
        profile.mode = mode
        audit_record(actor=actor, account=account, action="billing.mode", target_type="account",
                     target_id=account.id, from_state=old, to_state=mode)
    return profile


# --- postpaid bills -----------------------------------------------------------------------

def postpaid_unit_price_millifen(calls: int) -> int:
    """The tier the month's total reaches prices every call of the month."""
    price_list_ensure()
    tiers = list(PriceItem.objects.filter(kind=PriceKind.POSTPAID_TIER, active=True).order_by("tier_from_calls"))
    if not tiers:
        raise RuntimeError("the price list has no postpaid tier")
    price = tiers[0].unit_price_millifen
    for tier in tiers:
        if tier.tier_from_calls == 0 or calls > tier.tier_from_calls:
            price = tier.unit_price_millifen
    return price


def postpaid_amount_fen(calls: int, unit_price_millifen: int) -> int:
    # Priced once for the whole month in milli-fen, then rounded half up to a fen.
    return (calls * unit_price_millifen + 500) // 1000


def bill_close(*, bill_id: int, now: datetime | None = None) -> Bill:
    """Fix the month's price and amount, write line items, set the due date; pay from the balance
    at once when it covers the bill."""
    now = clock.now_or(now)
    with transaction.atomic():
        account = Bill.objects.select_related("account").get(id=bill_id).account
        profile = profile_locked(account)
        bill = Bill.objects.select_for_update().get(id=bill_id)
        if bill.status != BillStatus.OPEN:
            return bill
        price = postpaid_unit_price_millifen(bill.calls)
        amount = postpaid_amount_fen(bill.calls, price)
        _write_lines(bill, price, amount)
        if amount:
            _entry(account=account, book=Book.BILL_AMOUNT, reason=EntryReason.BILL_CLOSE, delta=amount, now=now,
                   bill=bill)
        bill.unit_price_millifen, bill.amount_fen, bill.closed_at = price, amount, now
        bill.due_at = now + timedelta(days=bill_due_days())
        bill.status = BillStatus.UNPAID if amount else BillStatus.PAID
        if not amount:
            bill.paid_at = now
        bill.save(update_fields=["unit_price_millifen", "amount_fen", "closed_at", "due_at", "status", "paid_at"])
        audit_record(actor=None, account=account, action="billing.bill_close", target_type="bill", target_id=bill.id,
                     from_state=BillStatus.OPEN, to_state=bill.status,
                     data={"calls": bill.calls, "amount_fen": amount, "unit_price_millifen": price})
        if bill.status == BillStatus.UNPAID and profile.balance_fen >= amount:
            _bill_pay_locked(profile=profile, bill=bill, actor=None, now=now)
        if bill.status == BillStatus.UNPAID:
            notices.notify_bill_issued(bill=bill)
    return bill


def _write_lines(bill: Bill, price: int, amount: int) -> None:
    rows = list(UsageRecord.objects.filter(bill=bill).values("campaign_project_id")
                .annotate(n=Count("id")).order_by("-n", "campaign_project_id"))
    counted = sum(r["n"] for r in rows)
    if counted < bill.calls:  # calls accrued from an earlier month after it closed
        rows.append({"campaign_project_id": "", "n": bill.calls - counted})
    left = amount
    for i, row in enumerate(rows):
        part = left if i == len(rows) - 1 else postpaid_amount_fen(row["n"], price)
        part = min(part, left)
        left -= part
        label = row["campaign_project_id"] or _("Calls without a campaign")
        BillLine.objects.create(bill=bill, label=label[:100], calls=row["n"], amount_fen=part)


def bills_close(*, now: datetime | None = None) -> int:
    """Beat, on the 1st: settle what is left of earlier months, then close their bills."""
    now = clock.now_or(now)
    current = clock.month_of(now)
    usage_settle_pending(before=clock.month_start(current), now=now, limit=1_000_000)
    ids = list(Bill.objects.filter(status=BillStatus.OPEN, month__lt=current).values_list("id", flat=True))
    for bill_id in ids:
        bill_close(bill_id=bill_id, now=now)
    return len(ids)


def _bill_pay_locked(*, profile: BillingProfile, bill: Bill, actor: AbstractBaseUser | None, now: datetime) -> None:
    if Bill.objects.filter(id=bill.id, status=BillStatus.UNPAID).update(status=BillStatus.PAID, paid_at=now) != 1:
        raise ValidationError(_("This bill is not waiting for payment."), code="invalid")
    _balance_change(profile=profile, delta=-bill.amount_fen, reason=EntryReason.BILL_PAYMENT, now=now, actor=actor,
                    bill=bill, note=f"{bill.month:%Y-%m}")
    audit_record(actor=actor, account=profile.account, action="billing.bill_pay", target_type="bill",
                 target_id=bill.id, from_state=BillStatus.UNPAID, to_state=BillStatus.PAID,
                 data={"amount_fen": bill.amount_fen})
    bill.status, bill.paid_at = BillStatus.PAID, now


def bill_pay(*, account: Account, bill_id: int, actor: AbstractBaseUser | None, now: datetime | None = None) -> Bill:
    """The owner or finance pays an unpaid bill from the balance; arrears end when none is overdue."""
    now = clock.now_or(now)
    with transaction.atomic():
        profile = profile_locked(account)
        bill = Bill.objects.select_for_update().filter(account=account, id=bill_id).first()
        if bill is None:
            raise Bill.DoesNotExist
        if bill.status != BillStatus.UNPAID:
            raise ValidationError(_("This bill is not waiting for payment."), code="invalid")
        if profile.balance_fen < bill.amount_fen:
            raise ValidationError(
                _("Insufficient balance: the bill is ¥%(amount)s but the balance is ¥%(balance)s. "
                  "Ask the platform operator to top up your balance, then pay again.")
                % {"amount": yuan(bill.amount_fen), "balance": yuan(profile.balance_fen)},
                code="balance_insufficient")
        _bill_pay_locked(profile=profile, bill=bill, actor=actor, now=now)
    _arrears_lift(account=account, now=now)
    return bill


def arrears_check(*, now: datetime | None = None) -> int:
    """Beat: an active account with a bill unpaid past its due date goes into arrears."""
    now = clock.now_or(now)
    marked = 0
    overdue = (Bill.objects.filter(status=BillStatus.UNPAID, due_at__lte=now, account__status=AccountStatus.ACTIVE)
               .values_list("account_id", flat=True).distinct())
    for account in Account.objects.filter(id__in=list(overdue)):
        try:
            account_set_status(account=account, status=AccountStatus.IN_ARREARS, actor=None,
                               reason=_("A postpaid bill is unpaid past its due date."))
            marked += 1
        except ValidationError:  # its status changed meanwhile (an operator froze it): leave it
            continue
    return marked


def _arrears_lift(*, account: Account, now: datetime) -> None:
    account.refresh_from_db(fields=["status"])
    if account.status != AccountStatus.IN_ARREARS:
        return
    if Bill.objects.filter(account=account, status=BillStatus.UNPAID, due_at__lte=now).exists():
        return
    with contextlib.suppress(ValidationError):  # its status changed meanwhile: leave it
        account_set_status(account=account, status=AccountStatus.ACTIVE, actor=None,
                           reason=_("Overdue bills paid."))


# --- price list ---------------------------------------------------------------------------

def price_item_update(*, item: PriceItem, actor: AbstractBaseUser | None, price_fen: int, unit_price_millifen: int,
                      tier_from_calls: int, active: bool) -> PriceItem:
    if min(price_fen, unit_price_millifen, tier_from_calls) < 0:
        raise ValidationError(_("Prices and thresholds cannot be negative."), code="invalid")
    with transaction.atomic():
        old = {"price_fen": item.price_fen, "unit_price_millifen": item.unit_price_millifen,
               "tier_from_calls": item.tier_from_calls, "active": item.active}
        item.price_fen, item.unit_price_millifen = price_fen, unit_price_millifen
        item.tier_from_calls, item.active = tier_from_calls, active
        item.save(update_fields=["price_fen", "unit_price_millifen", "tier_from_calls", "active", "updated_at"])
        audit_record(actor=actor, account=None, action="billing.price", target_type="price", target_id=item.code,
                     data={"old": old, "new": {"price_fen": price_fen, "unit_price_millifen": unit_price_millifen,
                                               "tier_from_calls": tier_from_calls, "active": active}})
    return item


# --- invoices -----------------------------------------------------------------------------

def invoice_request(*, account: Account, actor: AbstractBaseUser | None, title: str, tax_id: str, email: str,
                    now: datetime | None = None) -> Invoice:
    """Request an invoice for every paid amount not invoiced yet. Each order and bill is claimed
    with a compare-and-swap on ``invoice IS NULL``, so no amount is ever invoiced twice."""
    now = clock.now_or(now)
    title, tax_id, email = title.strip(), tax_id.strip(), email.strip()
    if not title or not tax_id or not email:
        raise ValidationError(_("Enter the invoice title, the tax id and an email address."), code="invalid")
    with transaction.atomic():
        profile_locked(account)
        orders = list(Order.objects.filter(account=account, invoice__isnull=True, amount_fen__gt=0)
                      .values_list("id", "amount_fen"))
        bills = list(Bill.objects.filter(account=account, invoice__isnull=True, status=BillStatus.PAID,
                                         amount_fen__gt=0).values_list("id", "amount_fen"))
        amount = sum(a for _i, a in orders) + sum(a for _i, a in bills)
        if amount <= 0:
            raise ValidationError(_("There is no paid amount left to invoice."), code="nothing")
        invoice = Invoice.objects.create(account=account, title=title[:100], tax_id=tax_id[:30], email=email,
                                         amount_fen=amount, requested_by=actor, created_at=now)
        order_ids, bill_ids = [i for i, _a in orders], [i for i, _a in bills]
        if (Order.objects.filter(id__in=order_ids, invoice__isnull=True).update(invoice=invoice) != len(order_ids)
                or Bill.objects.filter(id__in=bill_ids, invoice__isnull=True).update(invoice=invoice)
                != len(bill_ids)):
            raise ValidationError(_("Another invoice request took some of these amounts; reload and try again."),
                                  code="conflict")
        audit_record(actor=actor, account=account, action="billing.invoice_request", target_type="invoice",
                     target_id=invoice.id, to_state=invoice.status, data={"amount_fen": amount})
    return invoice


def invoice_issue(*, invoice_id: int, actor: AbstractBaseUser | None, now: datetime | None = None) -> Invoice:
    """Operators: issue a requested invoice and store its PDF."""
    from billing.pdf import invoice_pdf

    now = clock.now_or(now)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("account").get(id=invoice_id)
        if invoice.status != InvoiceStatus.REQUESTED:
            raise ValidationError(_("This invoice is not waiting to be issued."), code="invalid")
        number = f"{clock.timezone.localtime(now):%Y%m%d}{invoice.id:08d}"
        pdf = invoice_pdf(invoice=invoice, number=number, issued_at=now)
        name = default_storage.save(f"invoices/{invoice.account_id}/{number}-{secrets.token_hex(8)}.pdf",
                                    ContentFile(pdf))
        changed = Invoice.objects.filter(id=invoice.id, status=InvoiceStatus.REQUESTED).update(
            status=InvoiceStatus.ISSUED, number=number, pdf_name=name, issued_by=actor, issued_at=now)
        if changed != 1:
            raise ValidationError(_("The invoice changed meanwhile; reload and try again."), code="conflict")
        audit_record(actor=actor, account=invoice.account, action="billing.invoice_issue", target_type="invoice",
                     target_id=invoice.id, from_state=InvoiceStatus.REQUESTED, to_state=InvoiceStatus.ISSUED)
    invoice.refresh_from_db()
    return invoice


def invoice_reject(*, invoice_id: int, actor: AbstractBaseUser | None, reason: str) -> Invoice:
    """Operators: refuse a request (wrong title...); its amounts become invoiceable again."""
    if not reason.strip():
        raise ValidationError(_("Say why the request is rejected, so the customer can fix it."), code="invalid")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("account").get(id=invoice_id)
        if Invoice.objects.filter(id=invoice.id, status=InvoiceStatus.REQUESTED).update(
                status=InvoiceStatus.REJECTED, note=reason.strip()[:200]) != 1:
            raise ValidationError(_("This invoice is not waiting to be issued."), code="invalid")
        Order.objects.filter(invoice=invoice).update(invoice=None)
        Bill.objects.filter(invoice=invoice).update(invoice=None)
        audit_record(actor=actor, account=invoice.account, action="billing.invoice_reject", target_type="invoice",
                     target_id=invoice.id, from_state=InvoiceStatus.REQUESTED, to_state=InvoiceStatus.REJECTED,
                     reason=reason.strip())
    invoice.refresh_from_db()
    return invoice
