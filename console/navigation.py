"""The console's left navigation (its order: docs/architecture.md, "The console shell"). An item whose
page is not built yet has no URL to reverse, and shows as "not yet available" instead of a broken link."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from console.models import Member
from console.roles import role_can


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise
    url_name: str
    capability: str | None  # None: operators only


CUSTOMER_NAV = [
    NavItem("overview", _("Overview"), "console:overview", "overview.view"),
    NavItem("campaigns", _("Campaigns"), "campaigns:list", "campaigns.view"),
    NavItem("materials", _("Materials"), "materials:list", "materials.view"),
    NavItem("test_effect", _("Test effect"), "fusion:test_effect", "test_effect.run"),
    NavItem("usage", _("Usage"), "billing:usage", "usage.view"),
    NavItem("billing", _("Billing"), "billing:overview", "billing.view"),
    NavItem("access", _("Access"), "console:access", "keys.own"),
    NavItem("profile", _("Account profile"), "console:profile", "profile.manage"),
    NavItem("filing", _("Algorithm filing"), "console:filing", "overview.view"),
]
OPERATOR_NAV = [
    NavItem("review_queue", _("Review queue"), "materials:review_queue", None),
    NavItem("accounts", _("Accounts"), "console:operator_accounts", None),
    NavItem("billing_ops", _("Billing operations"), "billing:operator_payments", None),
    NavItem("signup_settings", _("Sign-up settings"), "console:ops_signup", None),
]


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def build_nav(*, member: Member | None, operator: bool) -> dict[str, list[dict]]:
    customer = []
    if member is not None:
        for item in CUSTOMER_NAV:
            if item.capability and role_can(member.role, item.capability):
                customer.append({"key": item.key, "label": item.label, "url": _url(item.url_name)})
    ops = []
    if operator:
        ops = [{"key": i.key, "label": i.label, "url": _url(i.url_name)} for i in OPERATOR_NAV]
    return {"customer": customer, "operator": ops}
