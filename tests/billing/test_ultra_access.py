"""FuseFaceUltra per account: off until an operator turns it on, on and off through the table, audited."""

import pytest
from django.urls import reverse

from billing.models import UltraStatus
from billing.selectors import ultra_enabled, ultra_status
from billing.services import ultra_access_set
from console.models import AuditAction, AuditEvent
from console.transitions import TransitionRefused
from tests.conftest import login


def test_it_is_off_until_an_operator_turns_it_on(alice, bob, operator):
    assert not ultra_enabled(account=alice.account)
    client = login(operator)
    page = client.get(reverse("billing:operator_account", args=[alice.account.id])).content.decode()
    assert 'data-testid="ultra-enable"' in page and 'data-testid="ultra-disable"' not in page
    response = client.post(reverse("billing:operator_ultra", args=[alice.account.id]), {"action": "enable"})
    assert response.status_code == 302
    assert ultra_enabled(account=alice.account) and not ultra_enabled(account=bob.account)
    event = AuditEvent.objects.get(action=AuditAction.ULTRA_ACCESS)
    assert (event.account_id, event.from_state, event.to_state, event.actor_label) == \
        (alice.account.id, "off", "on", "ops-1")
    page = client.get(reverse("billing:operator_account", args=[alice.account.id])).content.decode()
    assert 'data-testid="ultra-disable"' in page


def test_it_turns_off_again(alice, operator):
    ultra_access_set(account=alice.account, action="enable", actor=operator)
    login(operator).post(reverse("billing:operator_ultra", args=[alice.account.id]), {"action": "disable"})
    assert ultra_status(account=alice.account) == UltraStatus.OFF
    assert list(AuditEvent.objects.filter(action=AuditAction.ULTRA_ACCESS).values_list("to_state", flat=True)
                .order_by("id")) == ["on", "off"]


@pytest.mark.parametrize("action", ["disable", "delete", ""])
def test_it_refuses_what_the_table_does_not_list_and_writes_nothing(alice, operator, action):
    with pytest.raises(TransitionRefused):
        ultra_access_set(account=alice.account, action=action, actor=operator)
    response = login(operator).post(reverse("billing:operator_ultra", args=[alice.account.id]), {"action": action},
                                    follow=True)
    assert response.status_code == 200 and not ultra_enabled(account=alice.account)
    assert not AuditEvent.objects.filter(action=AuditAction.ULTRA_ACCESS).exists()


def test_it_is_for_operators_only(alice):
    response = login(alice.owner).post(reverse("billing:operator_ultra", args=[alice.account.id]),
                                       {"action": "enable"})
    assert response.status_code in (302, 403) and not ultra_enabled(account=alice.account)


def test_it_answers_404_for_an_account_that_does_not_exist(operator):
    response = login(operator).post(reverse("billing:operator_ultra", args=[999_999]), {"action": "enable"})
    assert response.status_code == 404


def test_its_history_reads_in_the_readers_language(alice, operator):
    from console.audit import audit_rows

    ultra_access_set(account=alice.account, action="enable", actor=operator)
    from django.utils import translation

    with translation.override("zh-hans"):
        (row,) = audit_rows(AuditEvent.objects.filter(action=AuditAction.ULTRA_ACCESS))
        assert (row["from"], row["to"]) == ("未开通", "已开通")
