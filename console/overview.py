"""The overview page's figures: what exists in the account so far, per capability of the role."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
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


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def overview_figures(*, account: Account, member: Member) -> list[Figure]:
    """Counts read through each app's selectors, only for what the role may see."""
    figures: list[Figure] = []
    if role_can(member.role, "campaigns.view"):
        from campaigns.selectors import campaign_list

        campaigns = campaign_list(account=account)
        active = campaigns.filter(status="active").count()
        figures.append(Figure(_("Campaigns"), str(campaigns.count()),
                              _("%(n)d active") % {"n": active}, _url("campaigns:list")))
    if role_can(member.role, "materials.view"):
        from materials.selectors import material_quota

        used, total = material_quota(account=account)
        figures.append(Figure(_("Materials"), str(used), _("of a quota of %(n)d") % {"n": total},
                              _url("materials:list")))
    return figures
