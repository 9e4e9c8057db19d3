"""Two-step verification (console/mfa.py): enrolment with a code computed from the shown secret, the
code after the password, recovery codes (ten, shown once, each used once), wrong codes throttled,
operators held at enrolment until it is on, resets by an operator, by the user and by manage.py,
and an audit row for each."""

import base64
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from console.models import AuditEvent
from tests.conftest import PASSWORD, login, mfa_enrol, next_code, totp_code

pytestmark = pytest.mark.django_db


def _shown_secret(page: str) -> str:
    """The secret the enrolment page shows, as hex (what an authenticator app does with it)."""
    text = re.search(r'data-testid="mfa-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8)).hex()


def _sign_in(username: str, client: Client | None = None):
    client = client or Client()
    return client, client.post(reverse("console:login"), {"username": username, "password": PASSWORD})


def test_it_enrols_with_the_code_of_the_shown_secret_and_shows_ten_recovery_codes_once(alice):
    client = login(alice.owner)
    page = client.get(reverse("console:mfa_setup")).content.decode()
    assert "<svg" in page and "两步验证" in page
    key = _shown_secret(page)
    assert _shown_secret(client.get(reverse("console:mfa_setup")).content.decode()) == key, "a reload shows the same"

    wrong = client.post(reverse("console:mfa_setup"), {"code": "000000" if totp_code(key) != "000000" else "111111"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=alice.owner.user).exists()

    response = client.post(reverse("console:mfa_setup"), {"code": totp_code(key)})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert set(StaticToken.objects.filter(device__user=alice.owner.user).values_list("token", flat=True)) == set(codes)
    device = TOTPDevice.objects.get(user=alice.owner.user)
    assert device.confirmed and device.key == key
    event = AuditEvent.objects.get(action="mfa.enrol")
    assert event.account == alice.account and event.actor == alice.owner.user
    # This session counts as verified; the security page says it is on and never shows the codes again.
    security = client.get(reverse("console:mfa_security")).content.decode()
    assert 'data-enrolled="1"' in security and codes[0] not in security
    assert client.get(reverse("console:overview")).status_code == 200


def test_it_asks_an_enrolled_user_for_the_code_after_the_password(alice):
    mfa_enrol(alice.owner.user)
    client, response = _sign_in("alice-owner")
    verify = reverse("console:mfa_verify")
    assert response.url.startswith(verify)
    # Until the code, the session reaches nothing else; signing out still works.
    blocked = client.get(reverse("console:overview"))
    assert blocked.status_code == 302 and blocked.url == f"{verify}?next=/overview/"
    assert client.get(reverse("console:access")).url.startswith(verify)

    wrong = client.post(f"{verify}?next=/overview/", {"code": "12345"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    done = client.post(f"{verify}?next=/overview/", {"code": next_code(alice.owner.user), "next": "/overview/"})
    assert done.status_code == 302 and done.url == "/overview/"
    assert client.get(reverse("console:overview")).status_code == 200
    event = AuditEvent.objects.get(action="mfa.use")
    assert event.reason == "totp" and event.account == alice.account

    # A code is accepted once: the same one does not sign in another session.
    used = TOTPDevice.objects.get(user=alice.owner.user)
    again, _ = _sign_in("alice-owner")
    refused = again.post(verify, {"code": totp_code(used.key, used.last_t)})
    assert refused.status_code == 200 and "验证码不正确" in refused.content.decode()


def test_it_leads_a_user_without_it_straight_in(alice):
    client, response = _sign_in("alice-owner")
    assert response.url == reverse("console:overview")
    assert client.get(reverse("console:overview")).status_code == 200


def test_each_recovery_code_signs_in_once(alice):
    codes = mfa_enrol(alice.developer.user)
    client, _ = _sign_in("alice-developer")
    verify = reverse("console:mfa_verify")
    assert client.post(verify, {"code": codes[3].upper()}).status_code == 302
    event = AuditEvent.objects.get(action="mfa.use")
    assert event.reason == "recovery" and event.data["recovery_codes_left"] == 9
    other, _ = _sign_in("alice-developer")
    assert other.post(verify, {"code": codes[3]}).status_code == 200, "a spent recovery code"
    assert other.post(verify, {"code": codes[4]}).status_code == 302


def test_wrong_codes_are_throttled_like_passwords(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    mfa_enrol(alice.owner.user)
    client, _ = _sign_in("alice-owner")
    verify = reverse("console:mfa_verify")
    for _ in range(3):
        assert "验证码不正确" in client.post(verify, {"code": "999999x"}).content.decode()
    locked = client.post(verify, {"code": next_code(alice.owner.user)})
    assert locked.status_code == 200 and "错误次数过多" in locked.content.decode()
    assert not AuditEvent.objects.filter(action="mfa.use").exists()
    # The password step is not locked by code guesses, and an operator's unlock drops the code counts too.
    from console.services import login_unlock
    login_unlock(user=alice.owner.user, actor=None)
    assert client.post(verify, {"code": next_code(alice.owner.user)}).status_code == 302


def test_an_operator_must_enrol_before_any_operator_page(db):
    from console import services

    operator = services.operator_create(username="ops-new", password=PASSWORD)
    client, response = _sign_in("ops-new")
    setup = reverse("console:mfa_setup")
    assert response.url == f"{setup}?next={reverse('materials:review_queue')}"
    for name in ("console:operator_accounts", "billing:operator_payments", "materials:review_queue",
                 "console:password_change"):
        blocked = client.get(reverse(name))
        assert blocked.status_code == 302 and blocked.url.startswith(setup), name
    page = client.get(response.url).content.decode()
    assert 'data-testid="mfa-required"' in page
    key = _shown_secret(page)
    client.post(response.url, {"code": totp_code(key), "next": reverse("console:operator_accounts")})
    assert client.get(reverse("console:operator_accounts")).status_code == 200
    assert AuditEvent.objects.filter(action="mfa.enrol", actor=operator, account=None).exists()
    # Operators cannot turn it off.
    assert client.post(reverse("console:mfa_off"), {"code": next_code(operator)}).status_code == 403
    assert TOTPDevice.objects.filter(user=operator).exists()


def test_an_unverified_operator_session_is_sent_to_the_code(operator):
    client, response = _sign_in("ops-1")
    assert response.url.startswith(reverse("console:mfa_verify"))
    assert client.get(reverse("console:operator_accounts")).url.startswith(reverse("console:mfa_verify"))


def test_an_operator_resets_a_customers_two_step_verification(alice, bob, operator):
    mfa_enrol(alice.viewer.user)
    mfa_enrol(bob.viewer.user)
    ops = login(operator)
    detail = ops.get(reverse("console:operator_account_detail", args=[alice.account.id])).content.decode()
    assert detail.count('data-testid="mfa-reset"') == 1
    # Another account's login through this account's page: 404, nothing reset.
    other = reverse("console:operator_mfa_reset", args=[alice.account.id, bob.viewer.id])
    assert ops.post(other).status_code == 404
    assert ops.post(reverse("console:operator_mfa_reset", args=[alice.account.id, alice.viewer.id])).status_code == 302
    assert not TOTPDevice.objects.filter(user=alice.viewer.user).exists()
    assert not StaticToken.objects.filter(device__user=alice.viewer.user).exists()
    assert TOTPDevice.objects.filter(user=bob.viewer.user).exists()
    event = AuditEvent.objects.get(action="mfa.reset")
    assert event.actor == operator and event.account == alice.account and event.target_id == str(alice.viewer.user.pk)
    # The customer signs in with the password alone again.
    assert _sign_in("alice-viewer")[1].url == reverse("console:overview")
    # A customer cannot reach the button.
    assert login(alice.owner).post(reverse("console:operator_mfa_reset",
                                           args=[alice.account.id, alice.viewer.id])).status_code == 403


def test_new_recovery_codes_replace_the_old_ones(alice):
    old = mfa_enrol(alice.finance.user)
    client = login(alice.finance)
    response = client.post(reverse("console:mfa_codes"))
    assert response["Cache-Control"] == "no-store"
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert AuditEvent.objects.filter(action="mfa.codes", actor=alice.finance.user).exists()
    fresh, _ = _sign_in("alice-finance")
    assert fresh.post(reverse("console:mfa_verify"), {"code": old[0]}).status_code == 200
    assert fresh.post(reverse("console:mfa_verify"), {"code": new[0]}).status_code == 302


def test_a_customer_turns_it_off_with_a_code(alice):
    mfa_enrol(alice.admin.user)
    client = login(alice.admin)
    assert client.post(reverse("console:mfa_off"), {"code": "000000x"}).status_code == 302
    assert TOTPDevice.objects.filter(user=alice.admin.user).exists()
    client.post(reverse("console:mfa_off"), {"code": next_code(alice.admin.user)})
    assert not TOTPDevice.objects.filter(user=alice.admin.user).exists()
    assert AuditEvent.objects.get(action="mfa.reset").actor == alice.admin.user


def test_manage_py_resets_an_operators_own(operator):
    call_command("mfa_reset", "ops-1")
    assert not TOTPDevice.objects.filter(user=operator).exists()
    assert AuditEvent.objects.get(action="mfa.reset").actor is None
    # At the next sign-in the operator enrols again.
    assert _sign_in("ops-1")[1].url.startswith(reverse("console:mfa_setup"))
