"""The API-calls card of the console's overview (console/overview.py)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import UsageSource
from billing.selectors import free_pack_of_month, usage_records
from console.models import Account, Member
from console.overview import Figure
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
