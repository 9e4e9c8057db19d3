"""Sign-up page and service: open mode, enumeration safety, rate limits."""

import pytest
from django.test import Client
from django.urls import reverse

from console.models import Account, AuditEvent, Member, Role
from tests.conftest import PASSWORD, body, link_in, login
from tests.selfservice.conftest import NEW_PASSWORD, page_text

URL = "/signup/"


def form(email: str = "new@example.com", **over: str) -> dict:
    data = {"email": email, "password": NEW_PASSWORD, "company": "新客户 科技", "contact_name": "王小明",
            "contact_phone": "13800138000"}
    data.update(over)
    return data


def test_it_creates_a_not_activated_account_and_mails_a_verification_link(db, mailbox,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resp = Client().post(URL, form("New@Example.com"))
    assert resp.status_code == 302 and resp["Location"] == reverse("console:signup_done")
    owner = Member.objects.select_related("user", "account").get(user__username="new@example.com")
    account = owner.account
    assert owner.role == Role.OWNER and owner.user.email == "new@example.com"
    assert owner.user.check_password(NEW_PASSWORD)
    assert account.service_status == "not_opened" and account.email_verified_at is None
    assert (account.name, account.contact_name, account.contact_phone, account.contact_email) == (
        "新客户 科技", "王小明", "13800138000", "new@example.com")
    assert str(account.app_id).startswith("125")
    assert AuditEvent.objects.filter(account=account, action="account.signup").exists()
    msg = mailbox.last_to("new@example.com")
    assert "/verify/" in link_in(msg, "/verify/")


def test_it_answers_a_registered_email_exactly_like_a_new_one(alice, mailbox, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        taken = client.post(URL, form("alice@example.com"), follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        fresh = Client().post(URL, form("fresh@example.com"), follow=True)
    assert taken.redirect_chain == fresh.redirect_chain == [(reverse("console:signup_done"), 302)]
    assert page_text(taken).replace("alice@example.com", "X") == page_text(fresh).replace("fresh@example.com", "X")
    assert Account.objects.filter(name="新客户 科技").count() == 1
    assert Member.objects.get(user__username="alice-owner").user.check_password(PASSWORD)
    # The owner of the address learns about the attempt; the visitor learns nothing.
    notice = mailbox.last_to("alice@example.com")
    assert "/password-reset/" in body(notice) and "/verify/" not in body(notice)


def test_it_explains_what_is_wrong_with_the_form(db):
    resp = Client().post(URL, form(password="12345678", contact_phone="phone"))
    assert resp.status_code == 200
    text = resp.content.decode()
    assert "field-error" in text
    assert not Account.objects.exists()


@pytest.mark.parametrize("limit_on", ["email", "ip"])
def test_it_rate_limits_sign_up_the_same_way_for_any_email(alice, settings, limit_on):
    settings.SELFSERVICE_RATE_PER_EMAIL = 2 if limit_on == "email" else 100
    settings.SELFSERVICE_RATE_PER_IP = 2 if limit_on == "ip" else 100
    client = Client()
    for i in range(2):
        address = "alice@example.com" if limit_on == "email" else f"x{i}@example.com"
        assert client.post(URL, form(address)).status_code == 302
    if limit_on == "email":  # an address nobody registered, used up the same way
        for _ in range(2):
            client.post(URL, form("nobody@example.com"))
    limited = {}
    for address in ("alice@example.com", "nobody@example.com"):
        before = (Account.objects.count(), AuditEvent.objects.count())
        resp = client.post(URL, form(address))
        assert resp.status_code == 200
        assert "尝试次数过多" in resp.content.decode()  # zh-hans, the default language
        assert (Account.objects.count(), AuditEvent.objects.count()) == before  # the limited attempt did nothing
        limited[address] = page_text(resp).replace(address, "")
    # The limited answer is the same page whatever the email (registered or not).
    assert limited["alice@example.com"] == limited["nobody@example.com"]
    if limit_on == "email":
        # Another address from the same client is not affected by the per-email limit.
        assert client.post(URL, form("other@example.com")).status_code == 302


def test_it_sends_a_signed_in_user_to_the_console(alice):
    assert login(alice.owner).get(URL).status_code == 302


def test_it_shows_the_form_in_chinese(db):
    text = Client().get(URL).content.decode()
    assert "注册" in text and 'name="company"' in text


@pytest.mark.django_db(transaction=True)
def test_two_sign_ups_racing_with_one_email_create_one_account_and_answer_alike(monkeypatch):
    """Both pass the "already registered?" check before either inserts: the second gets the
    registered-address answer (a mail, no account), not a server error."""
    import threading

    from django.db import connection

    from selfservice import selectors, services

    selectors.platform_settings_get()  # created once up front, as any earlier request would have
    both_checked = threading.Barrier(2, timeout=10)
    real_account_create = services.account_create

    def wait_then_account_create(**kwargs):
        both_checked.wait()  # both requests have seen the address as free
        return real_account_create(**kwargs)

    monkeypatch.setattr(services, "account_create", wait_then_account_create)
    outcomes: list[object] = []

    def sign_up() -> None:
        try:
            outcomes.append(services.signup_register(email="twin@example.com", password="fusion-Lantern-42",
                                                     company="Twin", contact_name="王",
                                                     contact_phone="13800138000"))
        except Exception as exc:  # the race's loser must not raise at all
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(o).__name__ for o in outcomes) == ["Account", "NoneType"], outcomes
    assert Account.objects.filter(name="Twin").count() == 1
    assert AuditEvent.objects.filter(action="account.signup").count() == 1


def test_it_shows_password_errors_even_when_the_email_is_wrong(db):
    resp = Client().post(URL, form(email="not-an-email", password="12345678"))
    errors = resp.context["form"].errors
    assert "email" in errors and "password" in errors
    assert not Account.objects.exists()
