import pytest
from django.urls import reverse

from console.models import Member
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def test_it_lists_the_accounts_own_members_only(alice, bob):
    response = login(alice.owner).get(reverse("console:access") + "?tab=members")
    assert response.status_code == 200
    body = response.content.decode()
    assert "alice-viewer" in body
    assert "bob-viewer" not in body


def test_it_lets_the_owner_create_a_sub_account(alice):
    response = login(alice.owner).post(reverse("console:member_create"), {
        "username": "alice-new", "display_name": "New", "email": "", "role": "developer", "password": PASSWORD,
    })
    assert response.status_code == 302
    member = Member.objects.get(user__username="alice-new")
    assert member.account == alice.account and member.role == "developer"
    assert member.user.check_password(PASSWORD)


def test_it_answers_404_for_another_accounts_member(alice, bob):
    client = login(alice.owner)
    for name in ("console:member_edit",):
        assert client.get(reverse(name, args=[bob.developer.id])).status_code == 404
    for name in ("console:member_set_active", "console:member_delete", "console:member_password"):
        assert client.post(reverse(name, args=[bob.developer.id]), {"active": "0"}).status_code == 404
    bob.developer.user.refresh_from_db()
    assert bob.developer.user.is_active
    assert Member.objects.filter(id=bob.developer.id).exists()


def test_it_refuses_a_viewers_post(alice):
    response = login(alice.viewer).post(reverse("console:member_create"), {
        "username": "x", "role": "viewer", "password": PASSWORD})
    assert response.status_code == 403
    assert not Member.objects.filter(user__username="x").exists()


def test_it_offers_the_least_powerful_role_first(alice):
    response = login(alice.owner).get(reverse("console:member_create"))
    form = response.context["form"]
    assert form["role"].value() == "viewer"
    assert '<option value="viewer" selected>' in response.content.decode()


def test_it_shows_password_errors_with_the_other_errors_on_the_first_submit(alice):
    response = login(alice.owner).post(reverse("console:member_create"), {
        "username": "bad name!", "display_name": "", "email": "", "role": "developer", "password": "12345678",
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "username" in errors and "password" in errors
    assert not Member.objects.filter(user__username="bad name!").exists()
