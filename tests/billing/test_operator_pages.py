from django.urls import reverse

from billing.models import PriceItem
from billing.selectors import balance_fen
from console.models import AccountStatus
from tests.conftest import login


def test_it_shows_balance_packs_and_bills_in_the_one_account_list(alice, bob, operator):
    from billing.services import order_create

    login(operator).post(reverse("billing:operator_account", args=[alice.account.id]),
                         {"action": "topup", "topup-amount": "17234.50", "topup-note": "转账 88"})
    assert balance_fen(account=alice.account) == 1_723_450
    order_create(account=alice.account, price_code="pack_1m", quantity=1, actor=alice.owner.user)
    response = login(operator).get(reverse("console:operator_accounts"))
    row = next(r for r in response.context["rows"] if r["account"].id == alice.account.id)
    cells = [c["text"] for c in row["cells"]]
    assert "¥1,234.50" in cells and "1,000,000" in cells
    body = response.content.decode()
    assert bob.account.name in body and reverse("billing:operator_account", args=[alice.account.id]) in body


def test_it_requires_a_note_to_top_up(alice, operator):
    response = login(operator).post(reverse("billing:operator_account", args=[alice.account.id]),
                                    {"action": "topup", "topup-amount": "10", "topup-note": ""})
    assert response.status_code == 200 and balance_fen(account=alice.account) == 0


def test_it_reverses_a_top_up(alice, operator):
    from billing.models import LedgerEntry
    from billing.selectors import ledger_problems

    client = login(operator)
    client.post(reverse("billing:operator_account", args=[alice.account.id]),
                {"action": "topup", "topup-amount": "50", "topup-note": "typo"})
    entry = LedgerEntry.objects.get(account=alice.account)
    client.post(reverse("billing:operator_reverse", args=[alice.account.id, entry.id]), {"reason": "多充了"})
    assert balance_fen(account=alice.account) == 0 and LedgerEntry.objects.count() == 2
    assert ledger_problems() == []


def test_it_leaves_freezing_to_the_accounts_page(alice, operator):
    client = login(operator)
    url = reverse("billing:operator_account", args=[alice.account.id])
    client.post(url, {"action": "status", "status-status": "frozen", "status-reason": "风控"})
    alice.account.refresh_from_db()
    assert alice.account.status == AccountStatus.ACTIVE
    body = client.get(url).content.decode()
    assert reverse("console:operator_account_detail", args=[alice.account.id]) in body


def test_it_grants_material_quota(alice, operator):
    from materials.selectors import material_quota

    before = material_quota(account=alice.account)[1]
    login(operator).post(reverse("billing:operator_account", args=[alice.account.id]),
                         {"action": "quota", "quota-blocks": "3", "quota-reason": "大客户"})
    assert material_quota(account=alice.account)[1] == before + 30


def test_it_edits_the_price_list(operator):
    item = PriceItem.objects.get(code="postpaid_tier_2")
    client = login(operator)
    assert client.get(reverse("billing:operator_prices")).status_code == 200
    client.post(reverse("billing:operator_prices"), {"item_id": item.id, "unit_price": "0.011",
                                                     "tier_from_calls": "1000000", "active": "on"})
    item.refresh_from_db()
    assert item.unit_price_millifen == 1100
    pack = PriceItem.objects.get(code="pack_1m")
    client.post(reverse("billing:operator_prices"), {"item_id": pack.id, "price": "15000.00", "active": "on"})
    pack.refresh_from_db()
    assert pack.price_fen == 1_500_000


def test_it_is_for_operators_only(alice):
    client = login(alice.owner)
    for name, args in [("billing:operator_account", [alice.account.id]), ("billing:operator_prices", []),
                       ("billing:operator_payments", []), ("billing:operator_seller", []),
                       ("billing:operator_invoices", [])]:
        assert client.get(reverse(name, args=args)).status_code == 403


def test_it_answers_404_for_a_missing_account(operator):
    assert login(operator).get(reverse("billing:operator_account", args=[999_999])).status_code == 404


def test_it_names_a_free_pack_in_the_readers_language_whatever_it_was_issued_in(alice, operator):
    from django.utils import translation

    from billing.services import free_pack_ensure

    with translation.override("en"):  # as beat and management commands issue it
        pack = free_pack_ensure(account=alice.account)
    assert pack.name.startswith("Free pack")
    body = login(operator).get(reverse("billing:operator_account", args=[alice.account.id])).content.decode()
    assert f"免费资源包 {pack.month:%Y-%m}" in body
