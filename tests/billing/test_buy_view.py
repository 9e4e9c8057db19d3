import re

import pytest
from django.urls import reverse

from billing.models import Order, Pack, PackKind, PriceItem
from billing.selectors import balance_fen, fuseface_qps_limit
from tests.billing.conftest import top_up
from tests.conftest import login


def test_it_confirms_price_and_balance_after_before_paying(alice, operator):
    top_up(alice.account, 2_000_000, operator)
    client = login(alice.finance)
    response = client.post(reverse("billing:buy"), {"price_code": "pack_1m", "quantity": 1})
    body = response.content.decode()
    assert "16,000.00" in body and "4,000.00" in body  # price, balance after
    assert not Order.objects.exists()
    response = client.post(reverse("billing:buy"), {"price_code": "pack_1m", "quantity": 1, "confirm": "1"})
    assert response.status_code == 302
    assert balance_fen(account=alice.account) == 400_000
    assert Pack.objects.get(account=alice.account, kind=PackKind.PAID).remaining == 1_000_000


def test_it_refuses_when_the_balance_is_short(alice, operator):
    top_up(alice.account, 100, operator)
    response = login(alice.owner).post(reverse("billing:buy"), {"price_code": "pack_1m", "quantity": 1,
                                                                "confirm": "1"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "余额不足" in response.content.decode()
    assert not Order.objects.exists() and balance_fen(account=alice.account) == 100


def test_it_refuses_a_frozen_account_and_charges_nothing(alice, operator):
    from console.models import Account, AccountStatus

    top_up(alice.account, 2_000_000, operator)
    Account.objects.filter(id=alice.account.id).update(status=AccountStatus.FROZEN)
    response = login(alice.owner).post(reverse("billing:buy"), {"price_code": "pack_1m", "quantity": 1,
                                                                "confirm": "1"})
    assert response.status_code == 200 and "账号已冻结或已停用" in response.content.decode()
    assert not Order.objects.exists() and balance_fen(account=alice.account) == 2_000_000


def test_it_raises_the_qps_limit_for_a_month(alice, operator):
    top_up(alice.account, 200_000, operator)
    login(alice.owner).post(reverse("billing:buy"), {"price_code": "qps_10", "quantity": 2, "confirm": "1"})
    assert fuseface_qps_limit(account=alice.account) == 30


def test_it_adds_material_quota(alice, operator):
    from materials.selectors import material_quota

    before = material_quota(account=alice.account)[1]
    top_up(alice.account, 20_000, operator)
    login(alice.owner).post(reverse("billing:buy"), {"price_code": "material_quota_10", "quantity": 2,
                                                     "confirm": "1"})
    assert material_quota(account=alice.account)[1] == before + 20


@pytest.mark.parametrize("role,allowed", [("owner", True), ("finance", True), ("admin", False),
                                          ("developer", False), ("viewer", False)])
def test_only_owner_and_finance_may_buy(alice, operator, role, allowed):
    top_up(alice.account, 200_000, operator)
    client = login(alice.member(role))
    assert client.get(reverse("billing:buy")).status_code == (200 if allowed else 403)
    # A confirmed purchase posted straight away (no page seen first): the refusal must hold for the write too.
    response = client.post(reverse("billing:buy"), {"price_code": "qps_10", "quantity": 1, "confirm": "1"})
    if allowed:
        assert response.status_code == 302
        assert Order.objects.filter(account=alice.account).count() == 1
        assert balance_fen(account=alice.account) == 100_000
    else:
        assert response.status_code == 403
        assert not Order.objects.exists() and balance_fen(account=alice.account) == 200_000
        assert fuseface_qps_limit(account=alice.account) == 10


def _confirmation(client, **data) -> dict:
    """The hidden fields of the confirmation form, as the browser submits them."""
    body = client.post(reverse("billing:buy"), data).content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(price_code|quantity|amount|key)" value="([^"]*)"', body))
    assert set(fields) == {"price_code", "quantity", "amount", "key"}
    return {**fields, "confirm": "1"}


def test_it_buys_once_when_the_confirmation_is_submitted_twice(alice, operator):
    top_up(alice.account, 4_000_000, operator)
    client = login(alice.owner)
    confirm = _confirmation(client, price_code="pack_1m", quantity=1)
    assert client.post(reverse("billing:buy"), confirm).status_code == 302
    assert client.post(reverse("billing:buy"), confirm).status_code == 302  # a double click, a resent form
    assert Order.objects.count() == 1 and balance_fen(account=alice.account) == 2_400_000
    assert Pack.objects.filter(account=alice.account, kind=PackKind.PAID).count() == 1
    again = _confirmation(client, price_code="pack_1m", quantity=1)  # a new confirmation buys again
    client.post(reverse("billing:buy"), again)
    assert Order.objects.count() == 2 and balance_fen(account=alice.account) == 800_000


def test_it_never_charges_a_price_changed_after_the_confirmation(alice, operator):
    top_up(alice.account, 4_000_000, operator)
    client = login(alice.owner)
    confirm = _confirmation(client, price_code="pack_1m", quantity=1)
    PriceItem.objects.filter(code="pack_1m").update(price_fen=1_700_000)  # an operator edits the price list
    response = client.post(reverse("billing:buy"), confirm, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    assert response.status_code == 200 and "价格已变更" in body and "17,000.00" in body
    assert not Order.objects.exists() and balance_fen(account=alice.account) == 4_000_000
