"""Who may change which sub-account: the owner is untouchable, admins cannot promote."""

import pytest
from django.urls import reverse

from console.models import AuditEvent, Member
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "data"), [
    ("console:member_set_active", {"active": "0"}),
    ("console:member_delete", {}),
    ("console:member_password", {"password": "another-horse-staple-7"}),
    ("console:member_edit", {"display_name": "x", "email": "", "role": "viewer"}),
])
def test_it_keeps_the_owner_out_of_an_admins_reach(alice, name, data):
    before = AuditEvent.objects.count()
    response = login(alice.admin).post(reverse(name, args=[alice.owner.id]), data)
    assert response.status_code == 403
    owner = Member.objects.select_related("user").get(id=alice.owner.id)
    assert owner.user.is_active and owner.role == "owner" and owner.user.check_password(PASSWORD)
    assert AuditEvent.objects.count() == before


def test_it_does_not_let_the_owner_disable_itself(alice):
    response = login(alice.owner).post(reverse("console:member_set_active", args=[alice.owner.id]), {"active": "0"})
    assert response.status_code == 403
    alice.owner.user.refresh_from_db()
    assert alice.owner.user.is_active


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_it_does_not_let_an_admin_create_owners_or_admins(alice, role):
    response = login(alice.admin).post(reverse("console:member_create"), {
        "username": "alice-climber", "display_name": "", "email": "", "role": role, "password": PASSWORD})
    assert response.status_code == 200  # the form comes back with the error
    assert not Member.objects.filter(user__username="alice-climber").exists()


def test_it_does_not_let_an_admin_promote_or_touch_another_admin(alice):
    client = login(alice.admin)
    response = client.post(reverse("console:member_edit", args=[alice.developer.id]),
                           {"display_name": "", "email": "", "role": "admin"})
    assert response.status_code == 200
    assert Member.objects.get(id=alice.developer.id).role == "developer"
    other_admin = login(alice.owner).post(reverse("console:member_create"), {
        "username": "alice-admin2", "display_name": "", "email": "", "role": "admin", "password": PASSWORD})
    assert other_admin.status_code == 302
    target = Member.objects.get(user__username="alice-admin2")
    assert client.post(reverse("console:member_set_active", args=[target.id]), {"active": "0"}).status_code == 403


def test_it_lets_the_owner_create_an_admin(alice):
    response = login(alice.owner).post(reverse("console:member_create"), {
        "username": "alice-admin2", "display_name": "二号管理员", "email": "a2@example.com", "role": "admin",
        "password": PASSWORD})
    assert response.status_code == 302
    member = Member.objects.get(user__username="alice-admin2")
    assert member.role == "admin" and member.account == alice.account
    assert AuditEvent.objects.filter(action="member.create", target_id=str(member.id), to_state="admin").exists()


@pytest.mark.parametrize(("username", "password", "message"), [
    ("alice-viewer", PASSWORD, "已被使用"),
    ("ALICE-VIEWER", PASSWORD, "已被使用"),
    ("has space", PASSWORD, "字母"),
    ("alice-new", "12345678", "数字"),
    ("alice-new", "short", "8"),
])
def test_it_explains_what_is_wrong_with_a_new_sub_account(alice, username, password, message):
    response = login(alice.owner).post(reverse("console:member_create"), {
        "username": username, "display_name": "", "email": "", "role": "viewer", "password": password})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Member.objects.filter(account=alice.account).count() == 5


def test_it_paginates_the_member_list(alice):
    from console import services

    for i in range(20):
        services.member_create(account=alice.account, by=alice.owner, username=f"alice-bulk-{i:02d}",
                               password=PASSWORD, role="viewer")
    client = login(alice.owner)
    first = client.get(reverse("console:access") + "?tab=members").content.decode()
    second = client.get(reverse("console:access") + "?tab=members&page=2").content.decode()
    assert first.count("data-member=") == 20 and second.count("data-member=") == 5
    assert "tab=members&page=2" in first


@pytest.mark.parametrize("holder", ["owner", "other admin"])
@pytest.mark.parametrize("action", ["disable", "enable", "delete"])
def test_it_keeps_the_owners_and_another_admins_keys_out_of_an_admins_reach(alice, holder, action):
    from console import services
    from console.models import ApiCredential

    if holder == "owner":
        member = alice.owner
    else:
        member = services.member_create(account=alice.account, by=alice.owner, username="alice-admin2",
                                        password=PASSWORD, role="admin")
    key = services.credential_create(member=member).credential
    if action != "disable":
        services.credential_transition(credential=key, by=member, action="disable")
    url, data = {
        "disable": (reverse("console:credential_set_status", args=[key.id]), {"action": "disable"}),
        "enable": (reverse("console:credential_set_status", args=[key.id]), {"action": "enable"}),
        "delete": (reverse("console:credential_delete", args=[key.id]), {}),
    }[action]
    before = AuditEvent.objects.count()
    client = login(alice.admin)
    assert client.post(url, data).status_code == 403
    assert ApiCredential.objects.get(id=key.id).status == ("enabled" if action == "disable" else "disabled")
    assert AuditEvent.objects.count() == before
    # The admin still sees the key, without the buttons that would be refused.
    listing = client.get(reverse("console:access") + "?tab=keys").content.decode()
    row = listing.split(f'data-secret-id="{key.secret_id}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="key-locked"' in row and "credential_set_status" not in row and "/status/" not in row


def test_an_admin_still_manages_its_own_keys_and_those_of_the_roles_it_gives(alice):
    from console import services
    from console.models import ApiCredential

    client = login(alice.admin)
    for member in (alice.admin, alice.developer, alice.finance):
        key = services.credential_create(member=member).credential
        assert client.post(reverse("console:credential_set_status", args=[key.id]),
                           {"action": "disable"}).status_code == 302
        assert client.post(reverse("console:credential_delete", args=[key.id])).status_code == 302
        assert not ApiCredential.objects.filter(id=key.id).exists()
    # And the owner manages an admin's key.
    key = services.credential_create(member=alice.admin).credential
    assert login(alice.owner).post(reverse("console:credential_set_status", args=[key.id]),
                                   {"action": "disable"}).status_code == 302
    assert ApiCredential.objects.get(id=key.id).status == "disabled"


@pytest.mark.parametrize("action", ["disable", "delete", "password", "edit"])
def test_an_admin_cannot_act_on_a_colleague_promoted_to_admin_meanwhile(alice, action):
    """The admin's page read a developer; the owner makes it an admin before the admin's change lands."""
    from django.core.exceptions import PermissionDenied

    from console import services

    stale = Member.objects.select_related("user", "account").get(id=alice.developer.id)
    services.member_update(member=alice.developer, by=alice.owner, role="admin", display_name="promoted")
    before = AuditEvent.objects.count()
    call = {
        "disable": lambda: services.member_set_active(member=stale, by=alice.admin, active=False),
        "delete": lambda: services.member_delete(member=stale, by=alice.admin),
        "password": lambda: services.member_set_password(member=stale, by=alice.admin,
                                                         password="another-horse-staple-7"),
        "edit": lambda: services.member_update(member=stale, by=alice.admin, role="viewer", display_name="x"),
    }[action]
    with pytest.raises(PermissionDenied):
        call()
    now = Member.objects.select_related("user").get(id=alice.developer.id)
    assert now.role == "admin" and now.display_name == "promoted" and now.user.is_active
    assert now.user.check_password(PASSWORD)
    assert AuditEvent.objects.count() == before
