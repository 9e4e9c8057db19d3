"""Month boundaries with time travel: free pack once, expiry, the postpaid tier, due date, arrears."""

from datetime import timedelta

from django.core.management import call_command

from billing.models import Bill, BillStatus, Pack, PackKind, PriceItem
from billing.services import (
    arrears_check,
    bills_close,
    free_pack_ensure,
    free_packs_issue,
    packs_expire,
    postpaid_amount_fen,
    postpaid_unit_price_millifen,
)
from console.models import AccountStatus, ServiceStatus
from tests.billing.conftest import at, make_calls, top_up


def test_it_issues_the_free_pack_once_per_month(alice, bob):
    # One pack of calls and one of video seconds for each of the two accounts.
    assert free_packs_issue(now=at(2026, 6, 1, 0, 5)) == 4
    assert free_packs_issue(now=at(2026, 6, 1, 1, 5)) == 0
    assert free_pack_ensure(account=alice.account, now=at(2026, 6, 20)).month == at(2026, 6, 1).date()
    packs = Pack.objects.filter(account=alice.account, kind=PackKind.FREE)
    assert sorted(packs.values_list("product", "calls_total")) == [("image", 1000), ("video", 300)]
    free_packs_issue(now=at(2026, 7, 1, 0, 5))
    assert Pack.objects.filter(account=alice.account, kind=PackKind.FREE).count() == 4


def test_it_gives_no_free_pack_to_frozen_accounts_on_the_first(alice):
    alice.account.status = AccountStatus.FROZEN
    alice.account.save()
    assert free_packs_issue(now=at(2026, 6, 1)) == 0


def test_it_gives_no_free_pack_on_the_first_to_accounts_that_have_not_activated(alice):
    alice.account.service_status = ServiceStatus.NOT_OPENED
    alice.account.save()
    assert free_packs_issue(now=at(2026, 6, 1)) == 0
    assert not Pack.objects.filter(account=alice.account).exists()


def test_it_expires_the_free_pack_at_month_end(alice, check_ledger):
    pack = free_pack_ensure(account=alice.account, now=at(2026, 6, 3))
    assert packs_expire(now=at(2026, 6, 30, 23, 59)) == 0
    assert packs_expire(now=at(2026, 7, 1, 0, 0)) == 1
    pack.refresh_from_db()
    assert pack.remaining == 0 and pack.expired_at is not None
    check_ledger()


def test_it_prices_the_whole_month_at_the_tier_its_total_reaches(db):
    assert postpaid_unit_price_millifen(1_000_000) == 2000
    assert postpaid_unit_price_millifen(1_000_001) == 1200
    assert postpaid_unit_price_millifen(5_000_001) == 500
    assert postpaid_amount_fen(1_000_000, 2000) == 2_000_000  # 20,000 元
    assert postpaid_amount_fen(1_000_001, 1200) == 1_200_001  # 12,000.012 元 rounded once
    assert postpaid_amount_fen(3, 1200) == 4  # 3.6 fen → 4


def test_it_closes_the_bill_on_the_first_with_the_months_tier(alice, small_free_pack, check_ledger):
    PriceItem.objects.filter(code="postpaid_tier_2").update(tier_from_calls=4)  # a reachable second tier
    make_calls(alice.account, 3 + 5, now=at(2026, 6, 15))  # 3 free, 5 postpaid
    make_calls(alice.account, 1, now=at(2026, 7, 1, 0, 1))  # next month: not on June's bill
    bills_close(now=at(2026, 7, 1, 0, 5))
    june = Bill.objects.get(account=alice.account, month=at(2026, 6, 1).date())
    assert june.calls == 5 and june.unit_price_millifen == 1200 and june.amount_fen == 6
    assert june.status == BillStatus.UNPAID and june.due_at == at(2026, 7, 1, 0, 5) + timedelta(days=15)
    assert sum(line.amount_fen for line in june.lines.all()) == 6
    assert bills_close(now=at(2026, 7, 1, 1, 5)) == 0  # idempotent
    check_ledger()


def test_it_settles_stragglers_before_closing(alice, small_free_pack):
    make_calls(alice.account, 3, now=at(2026, 6, 30, 23, 59))
    make_calls(alice.account, 2, now=at(2026, 6, 30, 23, 59), settle=False)  # their task was lost
    bills_close(now=at(2026, 7, 1, 0, 5))
    assert Bill.objects.get(account=alice.account).calls == 2


def test_it_puts_an_overdue_account_in_arrears_until_paid(alice, operator, small_free_pack, check_ledger):
    make_calls(alice.account, 5, now=at(2026, 6, 15))
    bills_close(now=at(2026, 7, 1))
    assert arrears_check(now=at(2026, 7, 10)) == 0  # not due yet
    assert arrears_check(now=at(2026, 7, 17)) == 1
    alice.account.refresh_from_db()
    assert alice.account.status == AccountStatus.IN_ARREARS
    top_up(alice.account, 100, operator, now=at(2026, 7, 18))  # pays the bill, lifts arrears
    alice.account.refresh_from_db()
    assert alice.account.status == AccountStatus.ACTIVE
    assert Bill.objects.get(account=alice.account).status == BillStatus.PAID
    check_ledger()


def test_it_pays_the_bill_at_close_when_the_balance_covers_it(alice, operator, small_free_pack):
    top_up(alice.account, 1_000, operator, now=at(2026, 6, 1))
    make_calls(alice.account, 5, now=at(2026, 6, 15))
    bills_close(now=at(2026, 7, 1))
    assert Bill.objects.get(account=alice.account).status == BillStatus.PAID


def test_the_ledger_check_command_passes_and_catches_tampering(alice, operator, small_free_pack, capsys):
    top_up(alice.account, 500, operator)
    make_calls(alice.account, 5, now=at(2026, 6, 15))
    call_command("billing_check_ledger")
    Pack.objects.filter(account=alice.account).update(remaining=99)
    import pytest
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("billing_check_ledger")
    assert "pack" in capsys.readouterr().err


def test_the_beat_schedules_the_monthly_tasks():
    from config.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"billing.tasks.month_start", "billing.tasks.arrears_check", "billing.tasks.settle_sweep"} <= tasks


def test_it_mails_the_owner_when_a_bill_is_due(alice, small_free_pack, mailoutbox, django_capture_on_commit_callbacks):
    make_calls(alice.account, 5, now=at(2026, 6, 15))
    with django_capture_on_commit_callbacks(execute=True):
        bills_close(now=at(2026, 7, 1))
    assert any("alice@example.com" in m.to for m in mailoutbox)


def test_a_pack_waits_for_calls_made_before_its_expiry(alice, small_free_pack, check_ledger):
    # Beat expires packs at minute 1 of every hour, before the 00:05 month close settles June's
    # stragglers: a call made in June inside the free pack must still be free.
    make_calls(alice.account, 1, now=at(2026, 6, 30, 23, 59))
    late = make_calls(alice.account, 1, now=at(2026, 6, 30, 23, 59), settle=False)[0]  # its task was lost
    assert packs_expire(now=at(2026, 7, 1, 0, 1)) == 0
    bills_close(now=at(2026, 7, 1, 0, 5))
    late.refresh_from_db()
    assert late.settled_to == "free_pack"
    assert not Bill.objects.filter(account=alice.account).exists()
    assert packs_expire(now=at(2026, 7, 1, 1, 1)) == 1
    assert Pack.objects.get(account=alice.account, kind=PackKind.FREE).remaining == 0
    check_ledger()
