"""Materials' parts of console pages (console/overview.py): the overview's card, and the materials
column (used of quota) of the operators' account list."""

from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from console.models import Account, Member
from console.overview import AccountColumn, Figure
from console.roles import role_can
from materials.models import Material, MaterialQuota
from materials.selectors import material_quota


def overview_figure(*, account: Account, member: Member) -> Figure | None:
    if not role_can(member.role, "materials.view"):
        return None
    used, total = material_quota(account=account)
    return Figure(_("Materials"), str(used), _("of a quota of %(n)d") % {"n": total}, reverse("materials:list"))


def operator_account_columns(accounts: QuerySet[Account]) -> tuple[QuerySet[Account], list[AccountColumn]]:
    used = Material.objects.filter(account=OuterRef("pk")).values("account").annotate(n=Count("id")).values("n")[:1]
    extra = MaterialQuota.objects.filter(account=OuterRef("pk")).values("extra")[:1]
    accounts = accounts.annotate(materials_used=Coalesce(Subquery(used), 0),
                                 materials_extra=Coalesce(Subquery(extra), 0))
    base = settings.MATERIAL_QUOTA_BASE

    def used_of_total(account: Account) -> str:
        return f"{getattr(account, 'materials_used', 0)} / {base + getattr(account, 'materials_extra', 0)}"

    return accounts, [AccountColumn(_("Materials / quota"), used_of_total)]
