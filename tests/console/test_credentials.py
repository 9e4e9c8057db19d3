"""API keys (访问密钥): encrypted at rest, shown once, two per login, enable/disable/delete."""

import re

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from console import crypto, services
from console.models import ApiCredential, AuditEvent
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _create(client, description: str = "") -> tuple[str, str, str]:
    response = client.post(reverse("console:credential_create"), {"description": description})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    secret_id = re.search(r'data-testid="secret-id">([^<]+)<', body).group(1)
    secret_key = re.search(r'data-testid="secret-key">([^<]+)<', body).group(1)
    return secret_id, secret_key, body


def test_it_stores_only_ciphertext(alice):
    secret_id, secret_key, _ = _create(login(alice.developer))
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_key_encrypted FROM console_apicredential WHERE secret_id = %s", [secret_id])
        (stored,) = cursor.fetchone()
    assert secret_key not in stored
    assert len(secret_key) == 32 and stored.startswith("gAAAAA")  # a Fernet token
    assert crypto.decrypt_secret(stored) == secret_key


def test_it_cannot_decrypt_with_another_encryption_key(alice):
    from cryptography.fernet import Fernet

    secret_id, secret_key, _ = _create(login(alice.developer))
    stored = ApiCredential.objects.get(secret_id=secret_id).secret_key_encrypted
    crypto._fernet.cache_clear()
    try:
        with (override_settings(CREDENTIAL_ENCRYPTION_KEY=Fernet.generate_key().decode()),
              pytest.raises(ValueError, match="cannot be decrypted")):
            crypto.decrypt_secret(stored)
    finally:
        crypto._fernet.cache_clear()
    assert crypto.decrypt_secret(stored) == secret_key


def test_it_rotates_with_several_encryption_keys():
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    crypto._fernet.cache_clear()
    try:
        with override_settings(CREDENTIAL_ENCRYPTION_KEY=old):
            token = crypto.encrypt_secret("s3cret")
        crypto._fernet.cache_clear()
        with override_settings(CREDENTIAL_ENCRYPTION_KEY=f"{new},{old}"):
            assert crypto.decrypt_secret(token) == "s3cret"
    finally:
        crypto._fernet.cache_clear()


def test_it_shows_the_secret_key_in_the_creation_response_only(alice):
    client = login(alice.developer)
    secret_id, secret_key, _ = _create(client, "server A")
    listing = client.get(reverse("console:access") + "?tab=keys").content.decode()
    assert secret_id in listing and "server A" in listing
    assert secret_key not in listing
    assert secret_key not in client.get(reverse("console:overview")).content.decode()
    # The owner's view of all keys does not carry it either, nor does the audit log.
    assert secret_key not in login(alice.owner).get(reverse("console:access") + "?tab=keys").content.decode()
    assert not [e for e in AuditEvent.objects.all() if secret_key in str(e.data) + e.reason + e.target_id]
    # There is no way to ask for the creation page again.
    assert client.get(reverse("console:credential_create")).status_code == 405


def test_it_allows_at_most_two_keys_per_login(alice):
    client = login(alice.developer)
    _create(client)
    _create(client)
    response = client.post(reverse("console:credential_create"), {"description": "third"}, follow=True)
    assert ApiCredential.objects.filter(member=alice.developer).count() == 2
    assert "最多" in response.content.decode()  # the error reads in Chinese first
    # Another login of the same account still has its own two.
    _create(login(alice.finance))


def test_it_disables_enables_and_deletes_only_a_disabled_key(alice):
    client = login(alice.developer)
    secret_id, _, _ = _create(client)
    key = ApiCredential.objects.get(secret_id=secret_id)
    status_url = reverse("console:credential_set_status", args=[key.id])
    delete_url = reverse("console:credential_delete", args=[key.id])

    response = client.post(delete_url, follow=True)
    assert ApiCredential.objects.filter(id=key.id).exists()
    assert "先禁用" in response.content.decode()

    client.post(status_url, {"action": "disable"})
    assert ApiCredential.objects.get(id=key.id).status == "disabled"
    client.post(status_url, {"action": "enable"})
    assert ApiCredential.objects.get(id=key.id).status == "enabled"
    client.post(status_url, {"action": "bogus"})
    assert ApiCredential.objects.get(id=key.id).status == "enabled"
    client.post(status_url, {"action": "disable"})
    assert client.post(delete_url).status_code == 302
    assert not ApiCredential.objects.filter(id=key.id).exists()
    actions = list(AuditEvent.objects.filter(target_id=secret_id).order_by("id").values_list("action", "to_state"))
    assert actions == [("credential.create", "enabled"), ("credential.status", "disabled"),
                       ("credential.status", "enabled"), ("credential.status", "disabled"),
                       ("credential.delete", "")]


def test_it_shows_a_developer_only_their_own_keys(alice):
    mine = services.credential_create(member=alice.developer).credential
    admins = services.credential_create(member=alice.admin).credential
    body = login(alice.developer).get(reverse("console:access")).content.decode()
    assert mine.secret_id in body and admins.secret_id not in body
    owner_view = login(alice.owner).get(reverse("console:access") + "?tab=keys").content.decode()
    assert mine.secret_id in owner_view and admins.secret_id in owner_view


def test_it_shows_when_a_key_was_last_used(alice):
    key = services.credential_create(member=alice.developer).credential
    client = login(alice.developer)
    body = client.get(reverse("console:access")).content.decode()
    assert re.search(r'data-testid="last-used">从未<', body)
    services.credential_touch(credential=key)
    first = ApiCredential.objects.get(id=key.id).last_used_at
    services.credential_touch(credential=ApiCredential.objects.get(id=key.id))
    assert ApiCredential.objects.get(id=key.id).last_used_at == first  # at most one write a minute
    body = client.get(reverse("console:access")).content.decode()
    from django.utils import timezone

    assert timezone.localtime(first).strftime("%Y-%m-%d %H:%M") in body


def test_it_shows_an_empty_state_without_keys(alice):
    body = login(alice.finance).get(reverse("console:access")).content.decode()
    assert 'data-testid="no-keys"' in body
