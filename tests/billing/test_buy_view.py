from django.urls import reverse

from billing.models import Order, Pack, PackKind
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


def test_it_is_refused_to_developers_and_viewers(alice):
    for role in ("developer", "viewer", "admin"):
        assert login(alice.member(role)).get(reverse("billing:buy")).status_code == 403
