"""Email verification links and resending them."""

from django.test import Client

from console.models import Account, AuditEvent
from selfservice.tokens import verification_token_make
from tests.conftest import link_in, login
from tests.selfservice.conftest import owner_of, signup


def _signed_up(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return signup()


def test_it_verifies_the_email_through_the_mailed_link(db, mailbox, django_capture_on_commit_callbacks):
    account = _signed_up(django_capture_on_commit_callbacks)
    url = link_in(mailbox.last_to("new@example.com"), "/verify/")
    resp = Client().get(url.removeprefix("http://testserver"))
    assert resp.status_code == 200 and "已验证" in resp.content.decode()
    account.refresh_from_db()
    assert account.email_verified_at is not None
    # Following the link again is harmless and writes no second audit row.
    assert Client().get(url.removeprefix("http://testserver")).status_code == 200
    assert AuditEvent.objects.filter(account=account, action="account.email_verify").count() == 1


def test_it_refuses_an_expired_link_and_says_what_to_do(db, settings, mailbox, django_capture_on_commit_callbacks):
    account = _signed_up(django_capture_on_commit_callbacks)
    settings.SIGNUP_VERIFY_MAX_AGE = -1
    url = link_in(mailbox.last_to("new@example.com"), "/verify/")
    resp = Client().get(url.removeprefix("http://testserver"))
    assert resp.status_code == 400 and "已过期" in resp.content.decode()
    assert Account.objects.get(id=account.id).email_verified_at is None


def test_it_refuses_a_tampered_link_and_one_for_an_old_address(db, django_capture_on_commit_callbacks):
    account = _signed_up(django_capture_on_commit_callbacks)
    user = owner_of(account).user
    token = verification_token_make(user=user)
    assert Client().get(f"/verify/{token[:-2]}xx/").status_code == 400
    user.email = "changed@example.com"
    user.save()
    assert Client().get(f"/verify/{token}/").status_code == 400
    assert Account.objects.get(id=account.id).email_verified_at is None


def test_a_sub_account_link_does_not_verify_the_account(alice):
    token = verification_token_make(user=alice.admin.user)
    assert Client().get(f"/verify/{token}/").status_code == 400


def test_the_owner_can_resend_the_link_within_limits(db, settings, mailbox, django_capture_on_commit_callbacks):
    settings.SELFSERVICE_RATE_PER_EMAIL = 1
    account = _signed_up(django_capture_on_commit_callbacks)
    client = login(owner_of(account))
    mailbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/verify/resend/").status_code == 302
    assert len(mailbox.to("new@example.com")) == 1
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post("/verify/resend/", follow=True)
    assert len(mailbox.to("new@example.com")) == 1
    assert "尝试次数过多" in resp.content.decode()


def test_resend_needs_a_signed_in_owner(alice):
    assert Client().post("/verify/resend/").status_code == 302
    assert login(alice.admin).post("/verify/resend/").status_code == 403
