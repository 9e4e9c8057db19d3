"""The operator area: accounts list and detail, freeze and unfreeze with an audit trail."""

import pytest
from django.urls import reverse

from console.models import Account, AuditEvent
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_it_lists_every_account_for_operators(alice, bob, operator):
    body = login(operator).get(reverse("console:operator_accounts")).content.decode()
    assert str(alice.account.app_id) in body and str(bob.account.app_id) in body


def test_it_searches_by_name_and_app_id(alice, bob, operator):
    client = login(operator)
    body = client.get(reverse("console:operator_accounts"), {"q": "Alice"}).content.decode()
    assert str(alice.account.app_id) in body and str(bob.account.app_id) not in body
    body = client.get(reverse("console:operator_accounts"), {"q": str(bob.account.app_id)}).content.decode()
    assert str(bob.account.app_id) in body and str(alice.account.app_id) not in body


def test_it_freezes_and_unfreezes_with_audit_rows(alice, operator):
    client = login(operator)
    url = reverse("console:operator_account_status", args=[alice.account.id])
    assert client.post(url, {"action": "freeze", "reason": "逾期未付款"}).status_code == 302
    assert Account.objects.get(id=alice.account.id).status == "frozen"
    client.post(url, {"action": "unfreeze", "reason": "已付款"})
    assert Account.objects.get(id=alice.account.id).status == "active"
    rows = list(AuditEvent.objects.filter(action="account.status", target_id=str(alice.account.id))
                .order_by("id").values_list("from_state", "to_state", "reason", "actor_label"))
    assert rows == [("active", "frozen", "逾期未付款", "ops-1"), ("frozen", "active", "已付款", "ops-1")]
    detail = client.get(reverse("console:operator_account_detail", args=[alice.account.id])).content.decode()
    assert "逾期未付款" in detail


def test_it_requires_a_reason(alice, operator):
    client = login(operator)
    response = client.post(reverse("console:operator_account_status", args=[alice.account.id]),
                           {"action": "freeze", "reason": ""}, follow=True)
    assert Account.objects.get(id=alice.account.id).status == "active"
    assert "原因" in response.content.decode()


def test_it_refuses_customers_with_403(alice):
    for role in ("owner", "admin", "viewer"):
        client = login(alice.member(role))
        assert client.get(reverse("console:operator_accounts")).status_code == 403
        assert client.post(reverse("console:operator_account_status", args=[alice.account.id]),
                           {"action": "freeze", "reason": "x"}).status_code == 403
    assert Account.objects.get(id=alice.account.id).status == "active"


def test_it_answers_404_for_an_unknown_account(operator):
    assert login(operator).get(reverse("console:operator_account_detail", args=[999_999_999])).status_code == 404


def test_it_paginates_the_accounts(operator):
    from console import services

    for i in range(21):
        services.account_create(name=f"Tenant {i:02d}", owner_username=f"t{i:02d}-owner",
                                owner_password="correct-horse-battery-9")
    client = login(operator)
    first = client.get(reverse("console:operator_accounts")).content.decode()
    assert "Tenant 20" in first and "Tenant 00" not in first
    second = client.get(reverse("console:operator_accounts"), {"page": 2}).content.decode()
    assert "Tenant 00" in second


def test_an_operator_signs_in_to_the_review_queue_and_the_nav_says_where_billing_is(operator):
    from django.test import Client

    from tests.conftest import PASSWORD, next_code

    client = Client()
    response = client.post(reverse("console:login"), {"username": "ops-1", "password": PASSWORD})
    # The password, then the code (the operator fixture has two-step verification on).
    assert response.url == f'{reverse("console:mfa_verify")}?next={reverse("materials:review_queue")}'
    response = client.post(response.url, {"code": next_code(operator)})
    assert response.url == reverse("materials:review_queue")
    page = client.get(response.url).content.decode()
    assert f'href="{reverse("billing:operator_payments")}" data-nav="billing_ops"' in page
    billing = client.get(reverse("billing:operator_payments")).content.decode()
    assert "<h1>计费运营</h1>" in billing and "<h1>账号管理</h1>" not in billing
