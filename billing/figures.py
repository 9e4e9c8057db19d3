"""Billing's parts of console pages (console/overview.py): the API-calls card of the overview, and
the balance, packs and unpaid bills columns of the operators' account list."""

from collections.abc import Callable

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Bill, BillingProfile, BillStatus, Pack, PackKind, UsageSource
from billing.selectors import free_pack_of_month, usage_records
from console.formatting import yuan
from console.models import Account, Member
from console.overview import AccountColumn, Figure
from console.roles import role_can


def overview_figure(*, account: Account, member: Member) -> Figure | None:
    if not role_can(member.role, "usage.view"):
        return None
    today = timezone.localdate()
    calls = usage_records(account=account, start=today.replace(day=1), end=today).filter(
        source=UsageSource.API).count()
    free = free_pack_of_month(account=account)
    if free is None:
        note = str(_("no free pack this month"))
    else:
        note = _("%(left)s of this month's %(total)s free calls left") % {
            "left": f"{free.remaining:,}", "total": f"{free.calls_total:,}"}
    return Figure(_("API calls this month"), f"{calls:,}", note, reverse("billing:usage"))


def _annotated(account: Account, name: str) -> int:
    """A figure the list's query annotated on the account (0 when it had none)."""
    return int(getattr(account, name, 0) or 0)


def _or_dash(value: int, text: Callable[[int], str]) -> str:
    return text(value) if value else "—"


def _sum_of(qs: QuerySet, field: str) -> Subquery:
    # A subquery per figure: joining bills and packs at once would multiply the sums.
    return Subquery(qs.values("account").annotate(s=Sum(field)).values("s")[:1])


def operator_account_columns(accounts: QuerySet[Account]) -> tuple[QuerySet[Account], list[AccountColumn]]:
    now = timezone.now()
    balance = BillingProfile.objects.filter(account=OuterRef("pk")).values("balance_fen")[:1]
    packs = Pack.objects.filter(account=OuterRef("pk"), kind=PackKind.PAID, expired_at__isnull=True,
                                valid_from__lte=now, expires_at__gt=now)
    unpaid = Bill.objects.filter(account=OuterRef("pk"), status=BillStatus.UNPAID)
    accounts = accounts.annotate(balance_fen=Coalesce(Subquery(balance), 0),
                                 pack_calls=Coalesce(_sum_of(packs, "remaining"), 0),
                                 unpaid_fen=Coalesce(_sum_of(unpaid, "amount_fen"), 0))
    billing_url = lambda a: reverse("billing:operator_account", args=[a.id])  # noqa: E731
    return accounts, [
        AccountColumn(_("Balance"), lambda a: f"¥{yuan(_annotated(a, 'balance_fen'))}", billing_url),
        AccountColumn(_("Pack calls left"), lambda a: _or_dash(_annotated(a, "pack_calls"), lambda n: f"{n:,}")),
        AccountColumn(_("Unpaid bills"), lambda a: _or_dash(_annotated(a, "unpaid_fen"), lambda n: f"¥{yuan(n)}")),
    ]
