from billing.models import Bill, BillStatus, Pack, PackKind, PriceItem, SettledTo, UsageRecord
from billing.services import order_create, usage_record_create, usage_settle
from tests.billing.conftest import at, make_calls, top_up


def test_it_records_a_call_once_per_request_id(alice):
    first = usage_record_create(request_id="r-1", account=alice.account, action="FuseFace", result_code="",
                                billable=True, latency_ms=80)
    again = usage_record_create(request_id="r-1", account=alice.account, action="FuseFace", result_code="",
                                billable=True, latency_ms=99)
    assert first.id == again.id
    assert UsageRecord.objects.filter(request_id="r-1").count() == 1


def test_it_never_bills_console_test_runs(alice, check_ledger):
    record = usage_record_create(request_id="c-1", account=alice.account, action="FuseFace", result_code="Success",
                                 billable=True, latency_ms=80, source="console_test")
    assert not record.billable and record.settled_to == SettledTo.NOT_BILLED
    check_ledger()


def test_it_settles_free_then_paid_by_expiry_then_postpaid(alice, operator, small_free_pack, check_ledger):
    now = at(2026, 3, 10)
    top_up(alice.account, 10_000_000, operator, now=now)
    PriceItem.objects.filter(code="pack_1m").update(quantity=1)  # one-call packs keep the test small
    early = order_create(account=alice.account, price_code="pack_1m", quantity=1, actor=alice.owner.user, now=now)
    late = order_create(account=alice.account, price_code="pack_1m", quantity=1, actor=alice.owner.user,
                        now=at(2026, 3, 11))
    records = make_calls(alice.account, 6, now=at(2026, 3, 12))
    assert [r.settled_to for r in records] == ["free_pack"] * 3 + ["paid_pack", "paid_pack", "postpaid"]
    assert records[3].pack.order_id == early.id and records[4].pack.order_id == late.id
    assert Bill.objects.get(account=alice.account).calls == 1
    check_ledger()


def test_it_settles_a_record_once_however_often_asked(alice, check_ledger):
    record = make_calls(alice.account, 1, now=at(2026, 3, 1), settle=False)[0]
    usage_settle(record_id=record.id, now=at(2026, 3, 1))
    usage_settle(record_id=record.id, now=at(2026, 3, 1))
    pack = Pack.objects.get(account=alice.account, kind=PackKind.FREE)
    assert pack.remaining == pack.calls_total - 1
    check_ledger()


def test_it_does_not_charge_errors_that_are_not_billable(alice, check_ledger):
    records = make_calls(alice.account, 2, now=at(2026, 3, 1), code="RequestLimitExceeded")
    assert {r.settled_to for r in records} == {SettledTo.NOT_BILLED}
    assert not Pack.objects.filter(account=alice.account).exists()
    check_ledger()


def test_it_charges_caller_input_errors(alice):
    records = make_calls(alice.account, 1, now=at(2026, 3, 1), code="FailedOperation.NoFaceDetected")
    assert records[0].settled_to == SettledTo.FREE_PACK


def test_it_skips_expired_packs(alice, small_free_pack, check_ledger):
    make_calls(alice.account, 1, now=at(2026, 1, 31, 23, 59))
    from billing.services import packs_expire
    assert packs_expire(now=at(2026, 2, 1, 0, 1)) == 1
    feb = make_calls(alice.account, 4, now=at(2026, 2, 2))
    assert [r.settled_to for r in feb] == ["free_pack"] * 3 + ["postpaid"]
    assert Bill.objects.get(account=alice.account, month=at(2026, 2, 1).date()).status == BillStatus.OPEN
    check_ledger()


def test_it_mails_once_when_a_paid_pack_falls_to_ten_percent(alice, operator, small_free_pack, mailoutbox,
                                                              django_capture_on_commit_callbacks):
    PriceItem.objects.filter(code="pack_1m").update(quantity=20)
    top_up(alice.account, 2_000_000, operator)
    order_create(account=alice.account, price_code="pack_1m", quantity=1, actor=None, now=at(2026, 3, 1))
    with django_capture_on_commit_callbacks(execute=True):
        make_calls(alice.account, 3 + 19, now=at(2026, 3, 2))  # free pack, then the pack down to 1 left
    assert len(mailoutbox) == 1


def test_it_counts_nothing_against_packs_in_qps_billing_mode(alice, operator, check_ledger):
    from billing.services import billing_mode_set

    now = at(2026, 3, 5)
    top_up(alice.account, 100_000, operator, now=now)
    order_create(account=alice.account, price_code="qps_10", quantity=1, actor=None, now=now)
    billing_mode_set(account=alice.account, mode="qps", actor=None, now=now)
    assert {r.settled_to for r in make_calls(alice.account, 3, now=at(2026, 3, 6))} == {SettledTo.QPS}
    # The QPS bought on 5 March ends on 5 April: calls fall back to the free pack.
    assert make_calls(alice.account, 1, now=at(2026, 4, 6))[0].settled_to == SettledTo.FREE_PACK
    check_ledger()
