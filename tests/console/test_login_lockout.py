"""The lockout stops guessing but cannot lock anyone out: failures lock a (login, source) pair; many
new sources spend only the login's budget for new sources, and a device or address that signed in
before still gets in; an operator unlocks a login from the account page (or manage.py)."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from console.login_throttle import DEVICE_COOKIE
from console.models import AuditEvent
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db

LOCKED = "登录失败次数过多"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_NEW_SOURCE_FAILURE_LIMIT = 6
    settings.LOGIN_LOCKOUT_SECONDS = 60


def _from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def _sign_in(client: Client, username: str, password: str = PASSWORD) -> bool:
    response = client.post(reverse("console:login"), {"username": username, "password": password})
    if response.status_code == 302:
        return True
    assert response.status_code == 200
    return False


def _locked(client: Client, username: str) -> bool:
    response = client.post(reverse("console:login"), {"username": username, "password": PASSWORD})
    return response.status_code == 200 and LOCKED in response.content.decode()


def test_a_guesser_locks_only_its_own_address(alice):
    attacker = _from("203.0.113.9")
    for _ in range(3):
        assert not _sign_in(attacker, "alice-owner", "wrong")
    assert _locked(attacker, "alice-owner")
    assert _sign_in(_from("198.51.100.7"), "alice-owner"), "another address must still get in"


def test_many_addresses_spend_only_the_budget_for_new_sources(alice, operator):
    home = _from("198.51.100.20")
    assert _sign_in(home, "alice-owner")  # this browser and address are now known
    assert _sign_in(_from("198.51.100.21"), "alice-owner")  # a second known address, no cookie kept

    for n in range(6):  # six addresses, one guess each: the login's budget for new sources
        assert not _sign_in(_from(f"203.0.113.{n + 1}"), "alice-owner", "wrong")
    assert _locked(_from("192.0.2.50"), "alice-owner"), "a new address is refused once the budget is spent"

    assert _sign_in(home, "alice-owner"), "the known device gets in"
    assert _sign_in(_from("198.51.100.21"), "alice-owner"), "the known address gets in"
    device_only = Client(REMOTE_ADDR="192.0.2.77")
    device_only.cookies[DEVICE_COOKIE] = home.cookies[DEVICE_COOKIE].value
    assert _sign_in(device_only, "alice-owner"), "the known device gets in from a new address"
    assert _sign_in(_from("192.0.2.51"), "alice-admin"), "other logins are untouched"


def test_the_operators_own_login_cannot_be_locked_out(operator):
    desk = _from("198.51.100.30")
    assert _sign_in(desk, "ops-1")
    for n in range(10):
        _sign_in(_from(f"203.0.113.{n + 1}"), "ops-1", "wrong")
    assert _locked(_from("192.0.2.60"), "ops-1")
    assert _sign_in(desk, "ops-1")


def test_an_unknown_login_is_answered_like_a_known_one(alice):
    for name in ("alice-owner", "nobody-here"):
        for n in range(6):
            _sign_in(_from(f"203.0.113.{n + 1}"), name, "wrong")
    assert _locked(_from("192.0.2.61"), "alice-owner") and _locked(_from("192.0.2.61"), "nobody-here")


def test_an_operator_unlocks_a_login_on_the_account_page(alice, bob, operator):
    for n in range(6):
        _sign_in(_from(f"203.0.113.{n + 1}"), "alice-owner", "wrong")
    ops = login(operator)
    page = ops.get(reverse("console:operator_account_detail", args=[alice.account.id])).content.decode()
    assert 'data-testid="login-locked"' in page
    url = reverse("console:operator_login_unlock", args=[alice.account.id, alice.owner.id])
    # Another account's login through this account's page: 404, as for an id that does not exist.
    assert ops.post(reverse("console:operator_login_unlock", args=[alice.account.id, bob.owner.id])).status_code == 404
    assert login(alice.owner).post(url).status_code in (302, 403)  # customers cannot unlock (redirected or refused)
    assert _locked(_from("192.0.2.62"), "alice-owner")
    assert ops.post(url).status_code == 302
    assert AuditEvent.objects.filter(action="user.unlock", account=alice.account, actor=operator).exists()
    assert _sign_in(_from("192.0.2.62"), "alice-owner")
    page = ops.get(reverse("console:operator_account_detail", args=[alice.account.id])).content.decode()
    assert 'data-testid="login-locked"' not in page


def test_manage_py_unlocks_any_login(operator):
    for n in range(6):
        _sign_in(_from(f"203.0.113.{n + 1}"), "ops-1", "wrong")
    assert _locked(_from("192.0.2.63"), "ops-1")
    call_command("login_unlock", "ops-1", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _sign_in(_from("192.0.2.63"), "ops-1")
