"""Password reset by mail: the same answer for any address, rate limited, single-use links."""

from django.contrib.auth import get_user_model
from django.test import Client

from console.models import AuditEvent
from tests.conftest import PASSWORD, link_in
from tests.selfservice.conftest import NEW_PASSWORD, page_text


def _request(email: str) -> object:
    return Client().post("/password-reset/", {"email": email}, follow=True)


def test_it_answers_the_same_for_a_known_and_an_unknown_address(alice, mailbox):
    known, unknown = _request("alice@example.com"), _request("nobody@example.com")
    assert known.redirect_chain == unknown.redirect_chain == [("/password-reset/done/", 302)]
    assert page_text(known) == page_text(unknown)
    assert len(mailbox.to("alice@example.com")) == 1 and not mailbox.to("nobody@example.com")


def test_it_answers_before_the_mail_server_does(alice, mailbox, settings):
    """The SMTP round trip happens after the answer, so a registered address is not slower."""
    import socket
    import time

    from selfservice.mail import mail_background_wait

    slow = socket.socket()
    slow.bind(("127.0.0.1", 0))
    slow.listen(1)  # accepts the connection and never greets: the send waits for EMAIL_TIMEOUT
    settings.EMAIL_PORT = slow.getsockname()[1]
    settings.EMAIL_TIMEOUT = 2
    try:
        started = time.monotonic()
        known = _request("alice@example.com")
        elapsed = time.monotonic() - started
        assert known.redirect_chain == [("/password-reset/done/", 302)]
        assert elapsed < 1.5, f"the answer waited {elapsed:.1f} s for the mail server"
    finally:
        mail_background_wait()
        slow.close()


def test_the_mailed_link_sets_a_new_password_once(alice, mailbox):
    _request("alice@example.com")
    url = link_in(mailbox.last_to("alice@example.com"), "/password-reset/").removeprefix("http://testserver")
    client = Client()
    form_page = client.get(url, follow=True)
    assert form_page.status_code == 200 and 'name="new_password1"' in form_page.content.decode()
    resp = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD,
                                                          "new_password2": NEW_PASSWORD})
    assert resp.status_code == 302 and resp["Location"] == "/password-reset/complete/"
    user = get_user_model().objects.get(username="alice-owner")
    assert user.check_password(NEW_PASSWORD) and not user.check_password(PASSWORD)
    again = Client().get(url, follow=True)
    assert 'data-testid="reset-invalid"' in again.content.decode()
    assert Client().login(username="alice-owner", password=NEW_PASSWORD)
    event = AuditEvent.objects.get(action="user.password_reset")
    assert (event.account, event.actor, event.target_id) == (alice.account, user, str(user.pk))


def test_it_rate_limits_without_telling_known_from_unknown(alice, settings, mailbox):
    settings.SELFSERVICE_RATE_PER_EMAIL = 1
    _request("alice@example.com")
    _request("nobody@example.com")
    known, unknown = _request("alice@example.com"), _request("nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert "尝试次数过多" in known.content.decode()
    assert page_text(known).replace("alice@", "x@") == page_text(unknown).replace("nobody@", "x@")
    assert len(mailbox.to("alice@example.com")) == 1


def test_it_answers_the_same_when_the_mail_server_is_down(alice, settings, mailbox):
    settings.EMAIL_PORT = 1  # nothing listens there
    known, unknown = _request("alice@example.com"), _request("nobody@example.com")
    assert known.status_code == unknown.status_code == 200 and page_text(known) == page_text(unknown)
