"""Account status moves only through ACCOUNT_TRANSITIONS: every allowed (status, action) reaches the
table's state with an audit row; every other pair is refused and changes nothing."""

import itertools

import pytest
from django.urls import reverse

from console.models import ACCOUNT_TRANSITIONS, Account, AccountAction, AccountStatus, AuditEvent
from console.services import account_transition
from console.transitions import TransitionRefused
from tests.conftest import login

pytestmark = pytest.mark.django_db

ALL_PAIRS = list(itertools.product(AccountStatus.values, AccountAction.values))
ALLOWED = [pair for pair in ALL_PAIRS if ACCOUNT_TRANSITIONS.allows(*pair)]
FORBIDDEN = [pair for pair in ALL_PAIRS if not ACCOUNT_TRANSITIONS.allows(*pair)]


def _in_status(account, status: str):
    Account.objects.filter(id=account.id).update(status=status)
    account.refresh_from_db()
    return account


@pytest.mark.parametrize(("status", "action"), ALLOWED)
def test_it_moves_an_allowed_pair_to_the_tables_state_with_an_audit_row(alice, operator, status, action):
    account = _in_status(alice.account, status)
    account_transition(account=account, action=action, actor=operator, reason="检查")
    expected = ACCOUNT_TRANSITIONS.target(status, action)
    assert Account.objects.get(id=account.id).status == expected
    event = AuditEvent.objects.get(action="account.status", target_id=str(account.id))
    assert (event.from_state, event.to_state, event.data["action"]) == (status, expected, action)


@pytest.mark.parametrize(("status", "action"), FORBIDDEN)
def test_it_refuses_a_forbidden_pair_and_changes_nothing(alice, operator, status, action):
    account = _in_status(alice.account, status)
    with pytest.raises(TransitionRefused):
        account_transition(account=account, action=action, actor=operator, reason="检查")
    assert Account.objects.get(id=account.id).status == status
    assert not AuditEvent.objects.filter(action="account.status", target_id=str(account.id)).exists()


def test_the_table_covers_what_the_console_promises():
    assert ACCOUNT_TRANSITIONS.target("active", "freeze") == "frozen"
    assert ACCOUNT_TRANSITIONS.target("frozen", "unfreeze") == "active"
    assert ACCOUNT_TRANSITIONS.target("active", "arrears_start") == "in_arrears"
    assert ACCOUNT_TRANSITIONS.target("in_arrears", "arrears_end") == "active"
    assert len(FORBIDDEN) == len(ALL_PAIRS) - 9


@pytest.mark.parametrize("status", AccountStatus.values)
def test_the_operator_page_offers_only_the_operator_actions_the_table_allows(alice, operator, status):
    _in_status(alice.account, status)
    body = login(operator).get(reverse("console:operator_account_detail", args=[alice.account.id])).content.decode()
    offered = {action for action in AccountAction.values if f'name="action" value="{action}"' in body}
    allowed = {action for action in ACCOUNT_TRANSITIONS.actions_from(status)
               if action not in ("arrears_start", "arrears_end")}
    assert offered == allowed


def test_the_page_refuses_an_action_the_table_does_not_allow_from_the_status(alice, operator):
    url = reverse("console:operator_account_status", args=[alice.account.id])
    response = login(operator).post(url, {"action": "unfreeze", "reason": "误操作"}, follow=True)
    assert Account.objects.get(id=alice.account.id).status == "active"
    assert "不可" in response.content.decode() or "not possible" in response.content.decode()


@pytest.mark.parametrize("action", ["arrears_start", "arrears_end"])
def test_operators_cannot_send_billings_actions(alice, operator, action):
    url = reverse("console:operator_account_status", args=[alice.account.id])
    login(operator).post(url, {"action": action, "reason": "手动"})
    assert Account.objects.get(id=alice.account.id).status == "active"
    assert not AuditEvent.objects.filter(action="account.status").exists()


def test_a_target_state_instead_of_an_action_changes_nothing(alice, operator):
    url = reverse("console:operator_account_status", args=[alice.account.id])
    login(operator).post(url, {"status": "frozen", "reason": "旧表单"})
    assert Account.objects.get(id=alice.account.id).status == "active"
