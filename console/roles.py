"""What each role may do (DESIGN §4). Views ask for a capability, never for a role."""

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
ASSIGNABLE_BY = {
    OWNER: [ADMIN, DEVELOPER, FINANCE, VIEWER],
    ADMIN: [DEVELOPER, FINANCE, VIEWER],
}
