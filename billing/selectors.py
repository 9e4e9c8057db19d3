"""Reads of billing. Customer lookups are account-scoped: another account's id is a 404."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import BigIntegerField, Case, Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from billing import clock
from billing.models import (
    BUYABLE_KINDS,
    FUSE_FACE,
    FUSE_FACE_ULTRA,
    Bill,
    BillingMode,
    BillingProfile,
    BillStatus,
    Book,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LedgerEntry,
    Order,
    Pack,
    PackKind,
    Payment,
    PaymentStatus,
    PriceItem,
    QpsGrant,
    SettledTo,
    UltraAccess,
    UltraStatus,
    UsageRecord,
)
from campaigns.selectors import campaign_names
from console.clock import now_or
from console.models import Account
from materials.selectors import material_names


def qps_total(*, account: Account, at: datetime, action: str = FUSE_FACE) -> int:
    """The QPS for ``action`` bought and valid at ``at``."""
    bought = (QpsGrant.objects.filter(account=account, action=action, starts_at__lte=at, ends_at__gt=at)
              .aggregate(s=Sum("qps"))["s"])
    return bought or 0


def fuseface_qps_limit(*, account: Account, now: datetime | None = None) -> int:
    """FuseFace rate limit: the default (10) plus QPS bought and valid now (docs/api.md)."""
    return settings.FUSEFACE_DEFAULT_QPS + qps_total(account=account, at=now_or(now))


def fusefaceultra_qps_limit(*, account: Account, now: datetime | None = None) -> int:
    """FuseFaceUltra's own rate limit: its default (2, as on the cloud) plus its QPS bought and valid now."""
    return settings.FUSEFACEULTRA_DEFAULT_QPS + qps_total(account=account, at=now_or(now), action=FUSE_FACE_ULTRA)


def ultra_status(*, account: Account) -> str:
    """FuseFaceUltra for this account: on or off (no row: never turned on)."""
    return UltraAccess.objects.filter(account=account).values_list("status", flat=True).first() or UltraStatus.OFF


def ultra_enabled(*, account: Account) -> bool:
    return ultra_status(account=account) == UltraStatus.ON


def balance_fen(*, account: Account) -> int:
    return BillingProfile.objects.filter(account=account).values_list("balance_fen", flat=True).first() or 0


def billing_mode(*, account: Account) -> str:
    return (BillingProfile.objects.filter(account=account).values_list("mode", flat=True).first()
            or BillingMode.STANDARD)


def qps_grants_active(*, account: Account, now: datetime | None = None,
                      action: str = FUSE_FACE) -> QuerySet[QpsGrant]:
    now = now_or(now)
    return QpsGrant.objects.filter(account=account, action=action, starts_at__lte=now,
                                   ends_at__gt=now).order_by("ends_at")


def packs_usable(*, account: Account, now: datetime | None = None) -> QuerySet[Pack]:
    now = now_or(now)
    return Pack.objects.filter(account=account, expired_at__isnull=True, valid_from__lte=now, expires_at__gt=now)


def free_pack_of_month(*, account: Account, now: datetime | None = None, product: str = "image") -> Pack | None:
    now = now_or(now)
    return Pack.objects.filter(account=account, kind=PackKind.FREE, month=clock.month_of(now),
                               product=product).first()


def open_bill(*, account: Account, now: datetime | None = None, product: str = "image") -> Bill | None:
    now = now_or(now)
    return Bill.objects.filter(account=account, month=clock.month_of(now), status=BillStatus.OPEN,
                               product=product).first()


def price_list(*, kinds: list[str] | None = None, active_only: bool = True) -> QuerySet[PriceItem]:
    qs = PriceItem.objects.all()
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("kind", "sort", "id")


def buyable_items() -> QuerySet[PriceItem]:
    return price_list(kinds=list(BUYABLE_KINDS))


def order_list(*, account: Account) -> QuerySet[Order]:
    return (Order.objects.filter(account=account).prefetch_related("invoice_lines__invoice")
            .order_by("-created_at", "-id"))


def bill_list(*, account: Account) -> QuerySet[Bill]:
    return Bill.objects.filter(account=account).prefetch_related("invoice_lines__invoice").order_by("-month", "-id")


def bill_get(*, account: Account, bill_id: int) -> Bill:
    return get_object_or_404(Bill, account=account, id=bill_id)


def ledger_list(*, account: Account, book: str = "") -> QuerySet[LedgerEntry]:
    qs = LedgerEntry.objects.filter(account=account).select_related("pack", "bill", "order")
    if book:
        qs = qs.filter(book=book)
    return qs.order_by("-created_at", "-id")


def invoice_list(*, account: Account) -> QuerySet[Invoice]:
    return Invoice.objects.filter(account=account).order_by("-created_at", "-id")


def invoice_get(*, account: Account, invoice_id: int) -> Invoice:
    return get_object_or_404(Invoice, account=account, id=invoice_id)


def invoiceable_orders(account: Account) -> QuerySet[Order]:
    """Paid orders with no live invoice line (a rejected request released its lines)."""
    live = InvoiceLine.objects.filter(order=OuterRef("pk"), released=False)
    return Order.objects.filter(account=account, amount_fen__gt=0).filter(~Exists(live)).order_by("created_at", "id")


def invoiceable_bills(account: Account) -> QuerySet[Bill]:
    live = InvoiceLine.objects.filter(bill=OuterRef("pk"), released=False)
    return (Bill.objects.filter(account=account, status=BillStatus.PAID, amount_fen__gt=0).filter(~Exists(live))
            .order_by("month", "id"))


def invoiceable_fen(*, account: Account) -> int:
    orders = invoiceable_orders(account).aggregate(s=Sum("amount_fen"))["s"] or 0
    bills = invoiceable_bills(account).aggregate(s=Sum("amount_fen"))["s"] or 0
    return orders + bills


def invoice_lines(*, invoice: Invoice) -> QuerySet[InvoiceLine]:
    return invoice.lines.select_related("order", "bill").order_by("id")


def payment_list(*, account: Account) -> QuerySet[Payment]:
    return Payment.objects.filter(account=account).order_by("-created_at", "-id")


def payment_get(*, account: Account, number: str) -> Payment:
    return get_object_or_404(Payment, account=account, number=number)


def payments_pending() -> QuerySet[Payment]:
    """Operators only: remittances waiting for a look at the bank statement, oldest first."""
    return Payment.objects.filter(status=PaymentStatus.PENDING).select_related("account").order_by("created_at", "id")


def payments_decided() -> QuerySet[Payment]:
    """Operators only: confirmed and rejected remittances, latest first."""
    return (Payment.objects.exclude(status=PaymentStatus.PENDING).select_related("account", "decided_by")
            .order_by("-decided_at", "-id"))


def payment_get_any(*, number: str) -> Payment:
    """Operators only."""
    return get_object_or_404(Payment.objects.select_related("account"), number=number)


def invoices_pending() -> QuerySet[Invoice]:
    """Operators only."""
    return Invoice.objects.filter(status=InvoiceStatus.REQUESTED).select_related("account").order_by("created_at")


def invoice_get_any(*, invoice_id: int) -> Invoice:
    """Operators only."""
    return get_object_or_404(Invoice.objects.select_related("account"), id=invoice_id)


def accounts_with_balance() -> QuerySet[Account]:
    """Operators only: every account with its balance and unpaid postpaid total."""
    balance = BillingProfile.objects.filter(account=OuterRef("pk")).values("balance_fen")[:1]
    return (Account.objects.annotate(balance_fen=Subquery(balance),
                                     unpaid_fen=Sum("bills__amount_fen", filter=Q(bills__status=BillStatus.UNPAID)))
            .order_by("-created_at", "-id"))


# --- usage ---------------------------------------------------------------------------------

CATEGORY_BILLED = "billed"
CATEGORY_FREE = "free"
CATEGORY_NOT_BILLED = "not_billed"


def usage_category(*, billable: bool, settled_to: str) -> str:
    if not billable or settled_to == SettledTo.NOT_BILLED:
        return CATEGORY_NOT_BILLED
    if settled_to in (SettledTo.FREE_PACK, SettledTo.QPS):
        return CATEGORY_FREE
    return CATEGORY_BILLED  # resource pack, postpaid, or billable and about to be settled


@dataclass
class UsageSummary:
    start: date
    end: date
    days: list[str]
    series: dict[str, list[int]]
    totals: dict[str, int]
    by_campaign: list[dict]
    by_material: list[dict]
    by_code: list[dict]
    by_action: list[dict]  # FuseFace and FuseFaceUltra apart: each has its own price
    generated_at: datetime

    def as_json(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days,
                "series": self.series, "totals": self.totals, "by_campaign": self.by_campaign,
                "by_material": self.by_material, "by_code": self.by_code, "by_action": self.by_action,
                "generated_at": self.generated_at.isoformat()}


def usage_records(*, account: Account, start: date, end: date, campaign: str = "") -> QuerySet[UsageRecord]:
    tz = timezone.get_current_timezone()
    lo = datetime(start.year, start.month, start.day, tzinfo=tz)
    hi = datetime(end.year, end.month, end.day, tzinfo=tz) + timedelta(days=1)
    qs = UsageRecord.objects.filter(account=account, created_at__gte=lo, created_at__lt=hi)
    if campaign:
        qs = qs.filter(campaign_project_id=campaign)
    return qs


def _grouped(qs: QuerySet[UsageRecord], field: str) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for row in qs.values(field, "billable", "settled_to").annotate(n=Count("id")):
        key = row[field] or ""
        slot = rows.setdefault(key, {"key": key, CATEGORY_BILLED: 0, CATEGORY_FREE: 0, CATEGORY_NOT_BILLED: 0,
                                     "total": 0})
        slot[usage_category(billable=row["billable"], settled_to=row["settled_to"])] += row["n"]
        slot["total"] += row["n"]
    return sorted(rows.values(), key=lambda r: (-r["total"], r["key"]))


def usage_summary(*, account: Account, start: date, end: date, campaign: str = "",
                  now: datetime | None = None) -> UsageSummary:
    """Daily series (billed / free / not billed) and breakdowns, straight from the usage records,
    so a call shows here as soon as it is recorded, before or after settlement."""
    now = now_or(now)
    qs = usage_records(account=account, start=start, end=end, campaign=campaign)
    tz = timezone.get_current_timezone()
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (qs.annotate(day=TruncDate("created_at", tzinfo=tz)).values("day", "billable", "settled_to")
                .annotate(n=Count("id"))):
        per_day[row["day"]][usage_category(billable=row["billable"], settled_to=row["settled_to"])] += row["n"]
    days: list[str] = []
    series: dict[str, list[int]] = {CATEGORY_BILLED: [], CATEGORY_FREE: [], CATEGORY_NOT_BILLED: []}
    day = start
    while day <= end:
        days.append(day.isoformat())
        for category, values in series.items():
            values.append(per_day[day][category])
        day += timedelta(days=1)
    totals = {category: sum(values) for category, values in series.items()}
    totals["total"] = sum(totals.values())
    codes = [{"key": r["result_code"] or "Success", "total": r["n"]}
             for r in qs.values("result_code").annotate(n=Count("id")).order_by("-n", "result_code")]
    by_campaign, by_material = _grouped(qs, "campaign_project_id"), _grouped(qs, "material_model_id")
    # Names beside the ids; a deleted campaign or material keeps its id and no name.
    campaign_named = campaign_names(account=account, project_ids=[r["key"] for r in by_campaign])
    material_named = material_names(account=account, model_ids=[r["key"] for r in by_material])
    for group in by_campaign:
        group["name"] = campaign_named.get(group["key"], "")
    for group in by_material:
        group["name"] = material_named.get(group["key"], "")
    return UsageSummary(start=start, end=end, days=days, series=series, totals=totals,
                        by_campaign=by_campaign, by_material=by_material, by_code=codes,
                        by_action=_grouped(qs, "action"), generated_at=now)


# --- ledger check --------------------------------------------------------------------------

def _sums(book: str, key: str) -> dict[int, int]:
    return {row[key]: row["s"] for row in
            LedgerEntry.objects.filter(book=book).values(key).annotate(s=Sum("delta")).order_by()}


def ledger_problems() -> list[str]:
    """Every figure that differs from the sum of its ledger entries, as readable lines."""
    problems = []
    balances = _sums(Book.BALANCE, "account_id")
    profiles = dict(BillingProfile.objects.values_list("account_id", "balance_fen"))
    for account_id in set(balances) | set(profiles):
        if balances.get(account_id, 0) != profiles.get(account_id, 0):
            problems.append(f"account {account_id}: balance {profiles.get(account_id, 0)} fen, "
                            f"entries sum to {balances.get(account_id, 0)}")
    packs = _sums(Book.PACK, "pack_id")
    for pack_id, remaining in Pack.objects.values_list("id", "remaining"):
        if packs.get(pack_id, 0) != remaining:
            problems.append(f"pack {pack_id}: remaining {remaining} calls, entries sum to {packs.get(pack_id, 0)}")
    calls, amounts = _sums(Book.BILL_CALLS, "bill_id"), _sums(Book.BILL_AMOUNT, "bill_id")
    ultra = _sums(Book.BILL_ULTRA_CALLS, "bill_id")
    for bill_id, bill_calls, ultra_calls, amount in Bill.objects.values_list("id", "calls", "ultra_calls",
                                                                             "amount_fen"):
        if calls.get(bill_id, 0) != bill_calls:
            problems.append(f"bill {bill_id}: {bill_calls} calls, entries sum to {calls.get(bill_id, 0)}")
        if ultra.get(bill_id, 0) != ultra_calls:
            problems.append(f"bill {bill_id}: {ultra_calls} FuseFaceUltra calls, entries sum to "
                            f"{ultra.get(bill_id, 0)}")
        if amounts.get(bill_id, 0) != amount:
            problems.append(f"bill {bill_id}: amount {amount} fen, entries sum to {amounts.get(bill_id, 0)}")
    # Each charged record's settlement entries (one per part, a unique constraint forbids a second
    # settlement) take exactly its units: a call's one, a video job's seconds.
    charged = UsageRecord.objects.filter(settled_to__in=[SettledTo.FREE_PACK, SettledTo.PAID_PACK, SettledTo.POSTPAID])
    entry = LedgerEntry.objects.filter(usage=OuterRef("pk"), reason="usage")
    for request_id in charged.filter(~Exists(entry)).values_list("request_id", flat=True)[:50]:
        problems.append(f"usage {request_id}: settled without a ledger entry")
    taken = (LedgerEntry.objects.filter(usage=OuterRef("pk"), reason="usage").values("usage")
             .annotate(s=Sum(Case(When(book=Book.PACK, then=-F("delta")), default=F("delta"),
                                  output_field=BigIntegerField()))).values("s"))
    wrong = charged.annotate(taken=Subquery(taken)).exclude(taken=F("units")).filter(taken__isnull=False)
    for request_id, units, got in wrong.values_list("request_id", "units", "taken")[:50]:
        problems.append(f"usage {request_id}: {units} units, settlement entries take {got}")
    stray = LedgerEntry.objects.filter(reason="usage").exclude(usage__in=charged).values_list("id", flat=True)[:50]
    for entry_id in stray:
        problems.append(f"ledger entry {entry_id}: settles a call that is not recorded as charged")
    return problems


@dataclass(frozen=True)
class UnsettledUsage:
    records: int
    oldest_seconds: float  # 0 when every record is settled


def usage_unsettled(*, now: datetime | None = None) -> UnsettledUsage:
    """Usage records not settled yet, and how old the oldest is: settlement runs right after each call
    and the sweeper catches up every SWEEP_INTERVAL_SECONDS, so an old one means billing is stuck."""
    now = now_or(now)
    row = UsageRecord.objects.filter(settled_at__isnull=True).aggregate(records=Count("id"), oldest=Min("created_at"))
    oldest = row["oldest"]
    age = max((now - oldest).total_seconds(), 0.0) if oldest else 0.0
    return UnsettledUsage(records=row["records"], oldest_seconds=age)
