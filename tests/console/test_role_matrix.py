"""Every role sees and may do exactly what console.roles gives it, on every console endpoint.

Each case is (role, endpoint). A permitted request must have its effect; a refused one must
answer 403 and write nothing (no row changed, no audit row).
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from console import services
from console.models import Account, ApiCredential, AuditEvent, Member
from console.roles import CAPABILITIES
from tests.conftest import PASSWORD, login, mfa_enrol

pytestmark = pytest.mark.django_db

ROLES = ["owner", "admin", "developer", "finance", "viewer"]


@dataclass
class Case:
    name: str
    capability: str | None  # None: no customer role may do it (operators only)
    method: str
    # (tenant, actor) -> (url, data, check): check() is True once the effect is in the database
    prepare: Callable


def _target(tenant) -> Member:
    return services.member_create(account=tenant.account, by=tenant.owner, username="alice-target",
                                  password=PASSWORD, role="viewer", display_name="Target")


def _own_key(tenant, actor, *, disabled: bool = False) -> ApiCredential:
    credential = services.credential_create(member=actor, description="matrix").credential
    if disabled:
        services.credential_transition(credential=credential, by=actor, action="disable")
    return credential


def _get(url_name: str, *args_from: str):
    def prepare(tenant, actor):
        args = [_target(tenant).id] if "member" in args_from else []
        if "account" in args_from:
            args = [tenant.account.id]
        return reverse(url_name, args=args), None, None
    return prepare


def _member_create(tenant, actor):
    data = {"username": "alice-made", "display_name": "", "email": "", "role": "viewer", "password": PASSWORD}
    return reverse("console:member_create"), data, lambda: Member.objects.filter(user__username="alice-made").exists()


def _member_edit(tenant, actor):
    target = _target(tenant)
    data = {"display_name": "Renamed", "email": "", "role": "finance"}
    return (reverse("console:member_edit", args=[target.id]), data,
            lambda: Member.objects.filter(id=target.id, display_name="Renamed", role="finance").exists())


def _member_password(tenant, actor):
    target = _target(tenant)
    return (reverse("console:member_password", args=[target.id]), {"password": "another-horse-staple-7"},
            lambda: get_user_model().objects.get(id=target.user_id).check_password("another-horse-staple-7"))


def _member_disable(tenant, actor):
    target = _target(tenant)
    return (reverse("console:member_set_active", args=[target.id]), {"active": "0"},
            lambda: not get_user_model().objects.get(id=target.user_id).is_active)


def _member_delete(tenant, actor):
    target = _target(tenant)
    return (reverse("console:member_delete", args=[target.id]), {},
            lambda: not Member.objects.filter(id=target.id).exists())


def _key_create(tenant, actor):
    return (reverse("console:credential_create"), {"description": "made"},
            lambda: ApiCredential.objects.filter(member=actor, description="made").exists())


def _key_disable(tenant, actor):
    key = _own_key(tenant, actor)
    return (reverse("console:credential_set_status", args=[key.id]), {"action": "disable"},
            lambda: ApiCredential.objects.get(id=key.id).status == "disabled")


def _key_delete(tenant, actor):
    key = _own_key(tenant, actor, disabled=True)
    return (reverse("console:credential_delete", args=[key.id]), {},
            lambda: not ApiCredential.objects.filter(id=key.id).exists())


def _account_freeze(tenant, actor):
    return (reverse("console:operator_account_status", args=[tenant.account.id]),
            {"action": "freeze", "reason": "matrix"},
            lambda: Account.objects.get(id=tenant.account.id).status == "frozen")


def _mfa_reset(tenant, actor):
    target = tenant.viewer if actor != tenant.viewer else tenant.developer
    mfa_enrol(target.user)
    return (reverse("console:operator_mfa_reset", args=[tenant.account.id, target.id]), {},
            lambda: not TOTPDevice.objects.filter(user=target.user).exists())


CASES = [
    Case("GET overview", "overview.view", "get", _get("console:overview")),
    Case("GET access", "keys.own", "get", _get("console:access")),
    Case("GET member_create", "members.manage", "get", _get("console:member_create")),
    Case("GET member_edit", "members.manage", "get", _get("console:member_edit", "member")),
    Case("GET password_change", "overview.view", "get", _get("console:password_change")),
    Case("GET operator_accounts", None, "get", _get("console:operator_accounts")),
    Case("GET operator_account_detail", None, "get", _get("console:operator_account_detail", "account")),
    Case("POST member_create", "members.manage", "post", _member_create),
    Case("POST member_edit", "members.manage", "post", _member_edit),
    Case("POST member_password", "members.manage", "post", _member_password),
    Case("POST member_set_active", "members.manage", "post", _member_disable),
    Case("POST member_delete", "members.manage", "post", _member_delete),
    Case("POST credential_create", "keys.own", "post", _key_create),
    Case("POST credential_set_status", "keys.own", "post", _key_disable),
    Case("POST credential_delete", "keys.own", "post", _key_delete),
    Case("POST operator_account_status", None, "post", _account_freeze),
    Case("POST operator_mfa_reset", None, "post", _mfa_reset),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_it_gives_each_role_exactly_its_capabilities(alice, role, case):
    actor = alice.member(role)
    url, data, effect = case.prepare(alice, actor)
    allowed = case.capability is not None and role in CAPABILITIES[case.capability]
    audit_before = AuditEvent.objects.count()
    client = login(actor)
    response = client.get(url) if case.method == "get" else client.post(url, data)
    if allowed:
        # A permitted page answers itself (a redirect could be to sign-in or activation); a permitted
        # write redirects back (PRG) or re-renders its page, and must have had its effect.
        expected = (200,) if case.method == "get" else (200, 302)
        assert response.status_code in expected, (role, case.name, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith(("/login/", "/activate/")), (role, case.name)
        if effect is not None:
            assert effect(), f"{role} may {case.name}, but nothing changed"
    else:
        assert response.status_code == 403, (role, case.name, response.status_code)
        assert AuditEvent.objects.count() == audit_before
        if effect is not None:
            assert not effect(), f"{role} was refused {case.name}, yet it happened"


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_each_role_only_its_navigation(alice, role):
    from console.navigation import CUSTOMER_NAV

    body = login(alice.member(role)).get(reverse("console:overview")).content.decode()
    for item in CUSTOMER_NAV:
        shown = f'data-nav="{item.key}"' in body
        assert shown == (role in CAPABILITIES[item.capability]), (role, item.key)
    assert 'data-nav="accounts"' not in body and 'data-nav="review_queue"' not in body


@pytest.mark.parametrize("role", ROLES)
def test_it_shows_the_member_list_only_to_roles_that_may_see_it(alice, role):
    if role not in CAPABILITIES["keys.own"]:
        pytest.skip("this role has no access page at all (covered by the matrix)")
    body = login(alice.member(role)).get(reverse("console:access") + "?tab=members").content.decode()
    assert ('data-member="alice-finance"' in body) == (role in CAPABILITIES["members.view"])


def test_it_lets_only_operators_into_the_operator_area(alice, operator):
    client = login(operator)
    assert client.get(reverse("console:operator_accounts")).status_code == 200
    assert client.get(reverse("console:operator_account_detail", args=[alice.account.id])).status_code == 200
    # An operator is not a member of any account: the customer pages are not theirs.
    assert client.get(reverse("console:overview")).status_code == 403
    assert client.get(reverse("console:home")).url == reverse("materials:review_queue")  # where the work waits
