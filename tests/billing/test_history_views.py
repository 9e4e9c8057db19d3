"""Orders, bills (list, detail, pay) and the ledger: pages, CSV exports, ownership."""

import pytest
from django.urls import reverse

from billing.models import Bill, BillStatus
from billing.services import bills_close, order_create
from tests.billing.conftest import at, make_calls, top_up
from tests.conftest import login


@pytest.fixture
def history(alice, operator, small_free_pack):
    top_up(alice.account, 5_000_000, operator, now=at(2026, 4, 1))
    order_create(account=alice.account, price_code="qps_10", quantity=1, actor=alice.owner.user, now=at(2026, 4, 2))
    make_calls(alice.account, 5, now=at(2026, 4, 3), campaign="at_spring")
    bills_close(now=at(2026, 5, 1, 0, 5))
    return Bill.objects.get(account=alice.account)


@pytest.mark.parametrize("name", ["billing:orders", "billing:bills", "billing:ledger"])
def test_it_lists_and_exports(alice, history, name):
    import csv
    import io
    from decimal import Decimal

    from billing.models import LedgerEntry, Order

    client = login(alice.finance)
    page = client.get(reverse(name))
    assert page.status_code == 200
    response = client.get(reverse(name), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and all(len(row) == len(header) for row in rows)
    # One row per record of the account, no more and no fewer, and the page lists the same records.
    if name == "billing:orders":
        numbers = list(Order.objects.filter(account=alice.account).values_list("number", flat=True))
        assert sorted(row[0] for row in rows) == sorted(numbers)
        assert all(number in page.content.decode() for number in numbers)
    elif name == "billing:bills":
        assert [row[0] for row in rows] == ["2026-04"] and rows[0][1] == str(history.calls)
        assert "2026-04" in page.content.decode()
    else:
        entries = LedgerEntry.objects.filter(account=alice.account)
        assert len(rows) == entries.count()
        # Balance and bill amounts in yuan, calls as counts.
        money = {"账户余额", "账单金额"}
        values = [int(Decimal(row[3]) * 100) if row[1] in money else int(row[3]) for row in rows]
        assert sorted(values) == sorted(entries.values_list("delta", flat=True))


def test_it_shows_bill_line_items(alice, history):
    assert history.status == BillStatus.PAID  # the balance covered it at close
    assert history.calls == 2 and history.amount_fen == 4  # 2 calls × 0.02 元
    body = login(alice.owner).get(reverse("billing:bill_detail", args=[history.id])).content.decode()
    assert "at_spring" in body


def test_it_answers_404_for_another_accounts_bill(alice, bob, history):
    client = login(bob.owner)
    assert client.get(reverse("billing:bill_detail", args=[history.id])).status_code == 404
    assert client.post(reverse("billing:bill_pay", args=[history.id])).status_code == 404
    assert "at_spring" not in client.get(reverse("billing:bills"), {"format": "csv"}).content.decode()
    assert client.get(reverse("billing:orders"), {"format": "csv"}).content.decode("utf-8-sig").count("\n") == 1


def test_it_pays_an_unpaid_bill_from_the_balance(alice, operator, small_free_pack):
    make_calls(alice.account, 4, now=at(2026, 4, 3))
    bill = Bill.objects.get(account=alice.account)
    bills_close(now=at(2026, 5, 1))
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID
    client = login(alice.owner)
    client.post(reverse("billing:bill_pay", args=[bill.id]))
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID  # nothing to pay with
    top_up(alice.account, 1, operator)  # a top-up pays unpaid bills it covers
    bill.refresh_from_db()
    assert bill.status == BillStatus.UNPAID  # 2 fen due, 1 fen balance
    top_up(alice.account, 1, operator)
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID


def test_it_neutralises_formulas_in_the_ledger_export(alice, operator):
    from billing.services import balance_top_up

    balance_top_up(account=alice.account, amount_fen=100, actor=operator, note="=cmd|' /C calc'!A0")
    body = login(alice.owner).get(reverse("billing:ledger"), {"format": "csv"}).content.decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in body
    assert not any(line.startswith("=") or ",=" in line for line in body.splitlines())
