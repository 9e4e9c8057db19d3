import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Pack, PackKind
from tests.billing.conftest import make_calls, top_up
from tests.conftest import login


def test_it_shows_balance_free_pack_and_qps(alice, operator):
    top_up(alice.account, 123_456, operator)
    make_calls(alice.account, 2, now=timezone.now())
    response = login(alice.owner).get(reverse("billing:overview"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "1,234.56" in body and "998" in body
    assert Pack.objects.filter(account=alice.account, kind=PackKind.FREE).count() == 1


@pytest.mark.parametrize("role,status", [("owner", 200), ("finance", 200), ("admin", 403), ("developer", 403),
                                         ("viewer", 403)])
def test_it_is_for_owner_and_finance(alice, role, status):
    assert login(alice.member(role)).get(reverse("billing:overview")).status_code == status


def test_it_switches_to_qps_billing_only_with_qps(alice, operator):
    client = login(alice.owner)
    client.post(reverse("billing:mode"), {"mode": "qps"})
    from billing.selectors import billing_mode
    assert billing_mode(account=alice.account) == "standard"
    top_up(alice.account, 100_000, operator)
    client.post(reverse("billing:buy"), {"price_code": "qps_10", "quantity": 1, "confirm": "1"})
    client.post(reverse("billing:mode"), {"mode": "qps"})
    assert billing_mode(account=alice.account) == "qps"
