"""The overview page's figures: what exists in the account so far, per capability of the role."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from console.models import Account, Member
from console.roles import role_can


@dataclass(frozen=True)
class Figure:
    label: Promise
    value: str
    note: str
    url: str | None


def overview_figures(*, account: Account, member: Member) -> list[Figure]:
    """Counts read through each app's selectors, only for what the role may see."""
    figures: list[Figure] = []
    if role_can(member.role, "campaigns.view"):
        from campaigns.selectors import campaign_list

        campaigns = campaign_list(account=account)
        active = campaigns.filter(status="active").count()
        figures.append(Figure(_("Campaigns"), str(campaigns.count()),
                              _("%(n)d active") % {"n": active}, reverse("campaigns:list")))
    if role_can(member.role, "materials.view"):
        from materials.selectors import material_quota

        used, total = material_quota(account=account)
        figures.append(Figure(_("Materials"), str(used), _("of a quota of %(n)d") % {"n": total},
                              reverse("materials:list")))
    if role_can(member.role, "usage.view"):
        from billing.models import UsageSource
        from billing.selectors import free_pack_of_month, usage_records

        today = timezone.localdate()
        calls = usage_records(account=account, start=today.replace(day=1), end=today).filter(
            source=UsageSource.API).count()
        free = free_pack_of_month(account=account)
        if free is None:
            note = str(_("no free pack this month"))
        else:
            note = _("%(left)s of this month's %(total)s free calls left") % {
                "left": f"{free.remaining:,}", "total": f"{free.calls_total:,}"}
        figures.append(Figure(_("API calls this month"), f"{calls:,}", note, reverse("billing:usage")))
    return figures
