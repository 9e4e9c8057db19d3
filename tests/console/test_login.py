"""Sign in, lockout after repeated failures, sign out, change password, disabled logins."""

import threading
import time

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from console import services
from console.forms import ThrottledAuthenticationForm
from console.models import AuditEvent
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, username: str, password: str):
    return client.post(reverse("console:login"), {"username": username, "password": password})


def test_it_signs_a_member_in_and_lands_on_the_overview(alice):
    client = Client()
    response = _sign_in(client, "alice-owner", PASSWORD)
    assert response.status_code == 302 and response.url == reverse("console:overview")
    assert client.get(reverse("console:overview")).status_code == 200


def test_it_redirects_anonymous_visitors_to_the_sign_in_page(db):
    response = Client().get(reverse("console:access"))
    assert response.status_code == 302 and response.url.startswith(reverse("console:login"))


def test_it_locks_a_login_out_after_repeated_failures(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_SECONDS = 2
    client = Client()
    for _ in range(3):
        response = _sign_in(client, "alice-owner", "wrong-password")
        assert response.status_code == 200
    response = _sign_in(client, "alice-owner", PASSWORD)
    assert response.status_code == 200, "the right password must be refused while locked"
    assert "登录失败次数过多" in response.content.decode()
    assert client.get(reverse("console:overview")).status_code == 302
    # Another login from the same address is not locked by one name's failures.
    assert _sign_in(Client(), "alice-admin", PASSWORD).status_code == 302
    time.sleep(2.5)
    assert _sign_in(client, "alice-owner", PASSWORD).status_code == 302


def test_it_lets_no_more_than_the_limit_of_concurrent_guesses_reach_the_password_check(settings, monkeypatch):
    settings.LOGIN_FAILURE_LIMIT = 3
    checked: list[str] = []
    lock = threading.Lock()

    def slow_authenticate(request=None, **credentials):
        with lock:
            checked.append(credentials["password"])
        time.sleep(0.5)  # hashing takes time: the window that concurrent guesses aim at
        return None

    monkeypatch.setattr("django.contrib.auth.forms.authenticate", slow_authenticate)
    start = threading.Barrier(10)

    def guess(i: int) -> None:
        form = ThrottledAuthenticationForm(RequestFactory().post("/login/"),
                                           data={"username": "alice-owner", "password": f"guess-{i}"})
        start.wait(timeout=10)
        assert not form.is_valid()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(checked) == 3, f"{len(checked)} concurrent guesses reached the password check, the limit is 3"


def test_successful_sign_ins_do_not_use_up_the_addresss_allowance(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 1  # an address may fail 4 times
    for _ in range(6):
        assert _sign_in(Client(), "alice-owner", PASSWORD).status_code == 302
    for _ in range(3):
        assert _sign_in(Client(), "alice-viewer", "wrong-password").status_code == 200
    assert _sign_in(Client(), "alice-developer", PASSWORD).status_code == 302


def test_it_forgets_failures_after_a_successful_sign_in(alice, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(2):
        _sign_in(client, "alice-owner", "wrong-password")
    assert _sign_in(client, "alice-owner", PASSWORD).status_code == 302
    client = Client()
    for _ in range(2):
        _sign_in(client, "alice-owner", "wrong-password")
    assert _sign_in(client, "alice-owner", PASSWORD).status_code == 302


def test_it_signs_out(alice):
    client = Client()
    _sign_in(client, "alice-owner", PASSWORD)
    response = client.post(reverse("console:logout"))
    assert response.status_code == 302 and response.url == reverse("console:login")
    assert client.get(reverse("console:overview")).status_code == 302


def test_it_changes_the_password(alice):
    client = login(alice.developer)
    response = client.post(reverse("console:password_change"), {
        "old_password": PASSWORD, "new_password1": "new-horse-battery-42", "new_password2": "new-horse-battery-42"})
    assert response.status_code == 302
    assert client.get(reverse("console:overview")).status_code == 200  # the session survives the change
    assert _sign_in(Client(), "alice-developer", PASSWORD).status_code == 200
    assert _sign_in(Client(), "alice-developer", "new-horse-battery-42").status_code == 302
    assert AuditEvent.objects.filter(action="user.password_change", account=alice.account).exists()


def test_it_refuses_a_wrong_old_password_in_chinese(alice):
    response = login(alice.developer).post(reverse("console:password_change"), {
        "old_password": "nope", "new_password1": "new-horse-battery-42", "new_password2": "new-horse-battery-42"})
    assert response.status_code == 200
    assert "旧密码" in response.content.decode()


def test_it_refuses_a_disabled_sub_account(alice):
    client = Client()
    _sign_in(client, "alice-developer", PASSWORD)
    services.member_set_active(member=alice.developer, by=alice.owner, active=False)
    # Already signed in: the next request is anonymous.
    assert client.get(reverse("console:overview")).status_code == 302
    response = _sign_in(Client(), "alice-developer", PASSWORD)
    assert response.status_code == 200
    services.member_set_active(member=alice.developer, by=alice.owner, active=True)
    assert _sign_in(Client(), "alice-developer", PASSWORD).status_code == 302
