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
