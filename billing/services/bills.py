"""Monthly postpaid bills: pricing at the tier the month reaches, close, line items, payment."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from billing import clock, notices
from billing.models import (
    BILL_TRANSITIONS,
    FUSE_FACE_ULTRA,
    Bill,
    BillAction,
    BillingProfile,
    BillLine,
    BillStatus,
    Book,
    EntryReason,
    LedgerEntry,
    PriceItem,
    PriceKind,
    Product,
)
from billing.prices import price_list_ensure
from billing.services.arrears import arrears_lift
from billing.services.ledger import balance_change, entry_write, profile_locked
from billing.services.settlement import usage_settle_pending
from console.clock import now_or
from console.formatting import yuan
from console.models import Account, AuditAction
from console.services import audit_record


def postpaid_unit_price_millifen(calls: int, product: str = Product.IMAGE) -> int:
    """The tier the month's total reaches prices every call (or video second) of the month."""
    price_list_ensure()
    tiers = list(PriceItem.objects.filter(kind=PriceKind.POSTPAID_TIER, product=product, active=True)
                 .order_by("tier_from_calls"))
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


def ultra_unit_price_millifen() -> int:
    """FuseFaceUltra's price per call, the same whatever the month's total."""
    price_list_ensure()
    item = PriceItem.objects.filter(kind=PriceKind.ULTRA_CALL, active=True).order_by("sort", "id").first()
    if item is None:
        raise RuntimeError("the price list has no FuseFaceUltra price")
    return item.unit_price_millifen


def bill_estimate_fen(bill: Bill) -> int:
    """What an open bill would come to if it closed now: FuseFace's calls at the tier reached so far,
    FuseFaceUltra's at its price (each part rounded once, as at close)."""
    amount = (postpaid_amount_fen(bill.calls, postpaid_unit_price_millifen(bill.calls, bill.product))
              if bill.calls else 0)
    if bill.ultra_calls:
        amount += postpaid_amount_fen(bill.ultra_calls, ultra_unit_price_millifen())
    return amount


def bill_close(*, bill_id: int, now: datetime | None = None) -> Bill:
    """Fix the month's price and amount, write line items, set the due date; pay from the balance
    at once when it covers the bill."""
    now = now_or(now)
    with transaction.atomic():
        account = Bill.objects.select_related("account").get(id=bill_id).account
        profile = profile_locked(account)
        bill = Bill.objects.select_for_update().get(id=bill_id)
        if bill.status != BillStatus.OPEN:
            return bill  # closed already: a re-run of the month's task changes nothing
        price = postpaid_unit_price_millifen(bill.calls, bill.product)
        ultra_price = ultra_unit_price_millifen()
        ultra_amount = postpaid_amount_fen(bill.ultra_calls, ultra_price)
        amount = postpaid_amount_fen(bill.calls, price) + ultra_amount
        _write_lines(bill, price, amount - ultra_amount)
        if bill.ultra_calls:
            # Labelled by the action's name, as FuseFace's lines are by ProjectId: the same in both languages.
            BillLine.objects.create(bill=bill, label=FUSE_FACE_ULTRA, calls=bill.ultra_calls, amount_fen=ultra_amount)
        if amount:
            entry_write(account=account, book=Book.BILL_AMOUNT, reason=EntryReason.BILL_CLOSE, delta=amount, now=now,
                        bill=bill)
        bill.unit_price_millifen, bill.amount_fen, bill.closed_at = price, amount, now
        bill.ultra_unit_price_millifen = ultra_price
        bill.due_at = now + timedelta(days=settings.BILL_DUE_DAYS)
        bill.status = BILL_TRANSITIONS.target(BillStatus.OPEN, BillAction.CLOSE if amount else BillAction.CLOSE_EMPTY)
        if not amount:
            bill.paid_at = now
        bill.save(update_fields=["unit_price_millifen", "ultra_unit_price_millifen", "amount_fen", "closed_at",
                                 "due_at", "status", "paid_at"])
        audit_record(actor=None, account=account, action=AuditAction.BILLING_BILL_CLOSE,
                     target_type="bill", target_id=bill.id,
                     from_state=BillStatus.OPEN, to_state=bill.status,
                     data={"calls": bill.calls, "amount_fen": amount, "unit_price_millifen": price,
                           "ultra_calls": bill.ultra_calls, "ultra_unit_price_millifen": ultra_price})
        if bill.status == BillStatus.UNPAID and profile.balance_fen >= amount:
            bill_pay_locked(profile=profile, bill=bill, actor=None, now=now)
        if bill.status == BillStatus.UNPAID:
            notices.notify_bill_issued(bill=bill)
    return bill


def _write_lines(bill: Bill, price: int, amount: int) -> None:
    # From the bill's ledger entries: a video job's seconds may be split between packs and the bill.
    rows = list(LedgerEntry.objects.filter(bill=bill, book=Book.BILL_CALLS, reason=EntryReason.USAGE)
                .values(campaign_project_id=F("usage__campaign_project_id"))
                .annotate(n=Sum("delta")).order_by("-n", "campaign_project_id"))
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
    now = now_or(now)
    current = clock.month_of(now)
    usage_settle_pending(before=clock.month_start(current), now=now, limit=1_000_000)
    ids = list(Bill.objects.filter(status=BillStatus.OPEN, month__lt=current).values_list("id", flat=True))
    for bill_id in ids:
        bill_close(bill_id=bill_id, now=now)
    return len(ids)


def _pay_target(bill: Bill) -> str:
    return BILL_TRANSITIONS.target(bill.status, BillAction.PAY, refused=_("This bill is not waiting for payment."))


def bill_pay_locked(*, profile: BillingProfile, bill: Bill, actor: User | None, now: datetime) -> None:
    """Pay ``bill`` from the balance; the caller holds the account's billing lock."""
    old, new = bill.status, _pay_target(bill)
    if Bill.objects.filter(id=bill.id, status=old).update(status=new, paid_at=now) != 1:
        raise ValidationError(_("This bill is not waiting for payment."), code="invalid")
    balance_change(profile=profile, delta=-bill.amount_fen, reason=EntryReason.BILL_PAYMENT, now=now, actor=actor,
                   bill=bill, note=f"{bill.month:%Y-%m}")
    audit_record(actor=actor, account=profile.account, action=AuditAction.BILLING_BILL_PAY, target_type="bill",
                 target_id=bill.id, from_state=old, to_state=new, data={"amount_fen": bill.amount_fen})
    bill.status, bill.paid_at = new, now


def bill_pay(*, account: Account, bill_id: int, actor: User | None, now: datetime | None = None) -> Bill:
    """The owner or finance pays an unpaid bill from the balance; arrears end when none is overdue."""
    now = now_or(now)
    with transaction.atomic():
        profile = profile_locked(account)
        bill = Bill.objects.select_for_update().filter(account=account, id=bill_id).first()
        if bill is None:
            raise Bill.DoesNotExist
        _pay_target(bill)  # refused before the balance is looked at
        if profile.balance_fen < bill.amount_fen:
            raise ValidationError(
                _("Insufficient balance: the bill is ¥%(amount)s but the balance is ¥%(balance)s. "
                  "Ask the platform operator to top up your balance, then pay again.")
                % {"amount": yuan(bill.amount_fen), "balance": yuan(profile.balance_fen)},
                code="balance_insufficient")
        bill_pay_locked(profile=profile, bill=bill, actor=actor, now=now)
    arrears_lift(account=account, now=now)
    return bill
