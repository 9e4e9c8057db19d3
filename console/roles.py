"""What each role may do (docs/tenancy.md). Views ask for a capability, never for a role."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from console.models import Role

OWNER, ADMIN, DEVELOPER, FINANCE, VIEWER = (Role.OWNER, Role.ADMIN, Role.DEVELOPER, Role.FINANCE,
                                            Role.VIEWER)
EVERYONE = frozenset(Role.values)

CAPABILITIES: dict[str, frozenset[str]] = {
    "overview.view": EVERYONE,
    "campaigns.view": frozenset({OWNER, ADMIN, DEVELOPER, VIEWER}),
    "campaigns.manage": frozenset({OWNER, ADMIN}),
    "materials.view": frozenset({OWNER, ADMIN, DEVELOPER, VIEWER}),
    "materials.manage": frozenset({OWNER, ADMIN}),
    "test_effect.run": frozenset({OWNER, ADMIN, DEVELOPER}),
    "usage.view": frozenset({OWNER, ADMIN, FINANCE, VIEWER}),
    "billing.view": frozenset({OWNER, FINANCE}),
    "billing.manage": frozenset({OWNER, FINANCE}),
    "invoices.manage": frozenset({OWNER, FINANCE}),
    "members.view": frozenset({OWNER, ADMIN}),
    "members.manage": frozenset({OWNER, ADMIN}),
    # Every role but viewer may hold API keys of its own; owner and admin see everyone's.
    "keys.own": frozenset({OWNER, ADMIN, DEVELOPER, FINANCE}),
    "keys.manage_all": frozenset({OWNER, ADMIN}),
    "profile.manage": frozenset({OWNER}),
}


def role_can(role: str, capability: str) -> bool:
    try:
        return role in CAPABILITIES[capability]
    except KeyError as exc:
        raise KeyError(f"unknown capability {capability!r}") from exc


# Roles an admin may hand out: never owner, so an admin cannot promote anyone above itself.
ASSIGNABLE_BY: dict[str, list[str]] = {
    OWNER: [ADMIN, DEVELOPER, FINANCE, VIEWER],
    ADMIN: [DEVELOPER, FINANCE, VIEWER],
}


# Shown beside the role picker, so whoever creates a sub-account knows what it gets.
ROLE_SUMMARIES: dict[str, Promise] = {
    OWNER: _("Everything, including billing and sub-accounts."),
    ADMIN: _("Campaigns, materials, sub-accounts and API keys; no billing."),
    DEVELOPER: _("Test effect and own API keys; reads campaigns and materials."),
    FINANCE: _("Billing, invoices and usage; own API keys."),
    VIEWER: _("Reads campaigns, materials and usage; changes nothing."),
}
