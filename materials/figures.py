"""The materials card of the console's overview (console/overview.py)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from console.models import Account, Member
from console.overview import Figure
from console.roles import role_can
from materials.selectors import material_quota


def overview_figure(*, account: Account, member: Member) -> Figure | None:
    if not role_can(member.role, "materials.view"):
        return None
    used, total = material_quota(account=account)
    return Figure(_("Materials"), str(used), _("of a quota of %(n)d") % {"n": total}, reverse("materials:list"))
