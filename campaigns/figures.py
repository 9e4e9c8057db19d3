"""The campaigns card of the console's overview (console/overview.py)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from campaigns.models import CampaignStatus
from campaigns.selectors import campaign_list
from console.models import Account, Member
from console.overview import Figure
from console.roles import role_can


def overview_figure(*, account: Account, member: Member) -> Figure | None:
    if not role_can(member.role, "campaigns.view"):
        return None
    campaigns = campaign_list(account=account)
    active = campaigns.filter(status=CampaignStatus.ACTIVE).count()
    return Figure(_("Campaigns"), str(campaigns.count()), _("%(n)d active") % {"n": active},
                  reverse("campaigns:list"))
