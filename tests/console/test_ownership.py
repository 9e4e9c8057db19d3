"""Another account's member or key answers 404 on every console endpoint that takes an id,
exactly like an id that does not exist, and nothing is changed."""

import pytest
from django.urls import reverse

from console import services
from console.models import ApiCredential, AuditEvent, Member
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

MEMBER_ENDPOINTS = [
    ("get", "console:member_edit", {}),
    ("post", "console:member_edit", {"display_name": "x", "email": "", "role": "viewer"}),
    ("post", "console:member_password", {"password": "another-horse-staple-7"}),
    ("post", "console:member_set_active", {"active": "0"}),
    ("post", "console:member_delete", {}),
]
KEY_ENDPOINTS = [
    ("post", "console:credential_set_status", {"action": "disable"}),
    ("post", "console:credential_delete", {}),
]


def _call(client, method, name, object_id, data):
    url = reverse(name, args=[object_id])
    return client.get(url) if method == "get" else client.post(url, data)


@pytest.mark.parametrize(("method", "name", "data"), MEMBER_ENDPOINTS)
def test_it_answers_404_for_another_accounts_member(alice, bob, method, name, data):
    before = AuditEvent.objects.count()
    client = login(alice.owner)
    assert _call(client, method, name, bob.viewer.id, data).status_code == 404
    assert _call(client, method, name, 999_999_999, data).status_code == 404
    viewer = Member.objects.select_related("user").get(id=bob.viewer.id)
    assert viewer.user.is_active and viewer.display_name == "" and viewer.user.check_password(PASSWORD)
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("method", "name", "data"), KEY_ENDPOINTS)
def test_it_answers_404_for_another_accounts_key(alice, bob, method, name, data):
    bobs = services.credential_create(member=bob.owner).credential
    services.credential_transition(credential=bobs, by=bob.owner, action="disable")
    services.credential_transition(credential=bobs, by=bob.owner, action="enable")
    before = AuditEvent.objects.count()
    client = login(alice.owner)
    assert _call(client, method, name, bobs.id, data).status_code == 404
    assert _call(client, method, name, 999_999_999, data).status_code == 404
    assert ApiCredential.objects.get(id=bobs.id).status == "enabled"
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("method", "name", "data"), KEY_ENDPOINTS)
def test_it_answers_404_for_a_colleagues_key_to_a_developer(alice, method, name, data):
    admins = services.credential_create(member=alice.admin).credential
    services.credential_transition(credential=admins, by=alice.admin, action="disable")
    client = login(alice.developer)
    assert _call(client, method, name, admins.id, data).status_code == 404
    assert ApiCredential.objects.filter(id=admins.id, status="disabled").exists()


def test_it_never_lists_another_accounts_keys_or_members(alice, bob):
    bobs = services.credential_create(member=bob.owner).credential
    client = login(alice.owner)
    keys = client.get(reverse("console:access") + "?tab=keys").content.decode()
    members = client.get(reverse("console:access") + "?tab=members").content.decode()
    assert bobs.secret_id not in keys
    assert "bob-" not in members
