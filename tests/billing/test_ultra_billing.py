"""FuseFaceUltra's own price item: postpaid per call, never from FuseFace's packs, its own QPS
(rate limit and QPS billing mode), a line of its own on the month's bill, and the pages that show it."""

from django.urls import reverse
from django.utils import timezone

from billing.models import Bill, BillingMode, BillStatus, Order, Pack, PackKind, PriceItem, SettledTo
from billing.selectors import fuseface_qps_limit, fusefaceultra_qps_limit
from billing.services import bill_estimate_fen, billing_mode_set, bills_close, order_create
from tests.billing.conftest import at, make_calls, top_up
from tests.conftest import login

ULTRA = "FuseFaceUltra"


def test_it_bills_ultra_calls_postpaid_and_leaves_the_free_pack_to_fuseface(alice, small_free_pack, check_ledger):
    now = at(2026, 6, 15)
    ultra = make_calls(alice.account, 2, now=now, action=ULTRA, campaign="", material="")
    assert {r.settled_to for r in ultra} == {SettledTo.POSTPAID}
    fuse = make_calls(alice.account, 1, now=now)
    assert fuse[0].settled_to == SettledTo.FREE_PACK
    free = Pack.objects.get(account=alice.account, kind=PackKind.FREE)
    assert free.remaining == small_free_pack - 1  # the FuseFace call's only
    bill = Bill.objects.get(account=alice.account)
    assert (bill.calls, bill.ultra_calls) == (0, 2)
    check_ledger()


def test_it_does_not_bill_ultra_calls_refused_before_processing(alice, check_ledger):
    records = make_calls(alice.account, 1, now=at(2026, 6, 15), action=ULTRA, code="RequestLimitExceeded")
    assert records[0].settled_to == SettledTo.NOT_BILLED and not Bill.objects.exists()
    check_ledger()


def test_it_closes_the_month_with_an_ultra_line_at_its_own_price(alice, small_free_pack, check_ledger):
    PriceItem.objects.filter(code="ultra_call").update(unit_price_millifen=12_345)  # 0.12345 元
    june = at(2026, 6, 15)
    make_calls(alice.account, small_free_pack + 4, now=june, campaign="at_a")  # 4 FuseFace calls postpaid
    make_calls(alice.account, 3, now=june, action=ULTRA, campaign="", material="")
    open_bill = Bill.objects.get(account=alice.account)
    assert bill_estimate_fen(open_bill) == 8 + 37  # 4 × 2 fen; 3 × 12.345 fen = 37.035 → 37
    bills_close(now=at(2026, 7, 1, 0, 5))
    bill = Bill.objects.get(account=alice.account)
    assert bill.status == BillStatus.UNPAID
    assert (bill.calls, bill.ultra_calls, bill.unit_price_millifen, bill.ultra_unit_price_millifen) == \
        (4, 3, 2000, 12_345)
    assert bill.amount_fen == 45
    lines = {line.label: (line.calls, line.amount_fen) for line in bill.lines.all()}
    assert lines == {"at_a": (4, 8), ULTRA: (3, 37)}
    check_ledger()


def test_its_calls_reach_no_fuseface_tier(alice, small_free_pack):
    # FuseFace's tier is reached by FuseFace's calls alone: Ultra calls never lower its price.
    PriceItem.objects.filter(code="postpaid_tier_2").update(tier_from_calls=2)
    june = at(2026, 6, 15)
    make_calls(alice.account, small_free_pack + 2, now=june)
    make_calls(alice.account, 5, now=june, action=ULTRA, campaign="", material="")
    bills_close(now=at(2026, 7, 1, 0, 5))
    assert Bill.objects.get(account=alice.account).unit_price_millifen == 2000


def test_ultra_qps_raises_only_ultras_limit(alice, operator):
    top_up(alice.account, 200_000, operator)
    assert fusefaceultra_qps_limit(account=alice.account) == 2
    response = login(alice.owner).post(reverse("billing:buy"), {"price_code": "ultra_qps_2", "quantity": 2,
                                                                "confirm": "1"})
    assert response.status_code == 302
    order = Order.objects.get(account=alice.account)
    assert order.amount_fen == 100_000 and order.qps_grants.get().action == ULTRA
    assert fusefaceultra_qps_limit(account=alice.account) == 6
    assert fuseface_qps_limit(account=alice.account) == 10


def test_qps_billing_mode_covers_ultra_calls_only_with_ultra_qps(alice, operator, check_ledger):
    now = timezone.now()
    top_up(alice.account, 300_000, operator)
    order_create(account=alice.account, price_code="qps_10", quantity=1, actor=operator, now=now)
    billing_mode_set(account=alice.account, mode=BillingMode.QPS, actor=alice.owner.user, now=now)
    assert make_calls(alice.account, 1, now=now)[0].settled_to == SettledTo.QPS
    assert make_calls(alice.account, 1, now=now, action=ULTRA)[0].settled_to == SettledTo.POSTPAID
    order_create(account=alice.account, price_code="ultra_qps_2", quantity=1, actor=operator, now=now)
    assert make_calls(alice.account, 1, now=now, action=ULTRA)[0].settled_to == SettledTo.QPS
    check_ledger()


def test_ultra_qps_alone_allows_qps_billing_mode(alice, operator):
    top_up(alice.account, 100_000, operator)
    order_create(account=alice.account, price_code="ultra_qps_2", quantity=1, actor=operator)
    assert billing_mode_set(account=alice.account, mode=BillingMode.QPS, actor=alice.owner.user).mode == "qps"


def test_the_billing_pages_show_its_price_limit_and_calls(alice, operator, small_free_pack):
    make_calls(alice.account, 2, now=timezone.now(), action=ULTRA, campaign="", material="")
    client = login(alice.finance)
    buy = client.get(reverse("billing:buy"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "0.1" in buy and "FuseFaceUltra" in buy and "ultra_qps_2" in buy
    overview = client.get(reverse("billing:overview")).content.decode()
    assert 'data-testid="ultra-qps"' in overview and 'data-testid="postpaid-ultra"' in overview
    bill = Bill.objects.get(account=alice.account)
    detail = client.get(reverse("billing:bill_detail", args=[bill.id])).content.decode()
    assert 'data-testid="ultra-calls"' in detail
    ops = login(operator).get(reverse("billing:operator_account", args=[alice.account.id]))
    assert "FuseFaceUltra" in ops.content.decode()


def test_operators_change_its_price_per_call(operator):
    item = PriceItem.objects.get(code="ultra_call")
    client = login(operator)
    assert 'data-testid="price-ultra_call"' in client.get(reverse("billing:operator_prices")).content.decode()
    client.post(reverse("billing:operator_prices"), {"item_id": item.id, "unit_price": "0.08", "active": "on"})
    item.refresh_from_db()
    assert item.unit_price_millifen == 8000


def test_usage_counts_each_action_apart(alice, small_free_pack):
    now = timezone.now()
    make_calls(alice.account, 2, now=now)
    make_calls(alice.account, 3, now=now, action=ULTRA, campaign="", material="")
    data = login(alice.viewer).get(reverse("billing:usage_data")).json()
    rows = {r["key"]: (r["total"], r["billed"], r["free"]) for r in data["by_action"]}
    assert rows == {"FuseFace": (2, 0, 2), ULTRA: (3, 3, 0)}
    assert 'data-testid="by-action"' in login(alice.viewer).get(reverse("billing:usage")).content.decode()
