"""Usage-record retention (billing.retention): records no money moved on go after
USAGE_RECORD_RETENTION_DAYS; charged ones stay with the ledger, forever; unsettled ones stay."""

from datetime import timedelta

from billing.models import LedgerEntry, SettledTo, UsageRecord
from billing.retention import usage_records_delete
from billing.services import usage_record_create
from tests.billing.conftest import at, make_calls


def test_it_deletes_only_uncharged_settled_records_past_their_days(alice, settings, check_ledger):
    settings.USAGE_RECORD_RETENTION_DAYS = 400
    called = at(2026, 3, 10)
    charged = make_calls(alice.account, 2, now=called)  # the free pack: a ledger entry each
    errors = make_calls(alice.account, 2, now=called, code="FailedOperation.ImageDecodeFailed")
    not_billed = make_calls(alice.account, 1, now=called, code="RequestLimitExceeded")
    console = usage_record_create(request_id="console-1", account=alice.account, action="FuseFace",
                                  result_code="Success", billable=False, latency_ms=90, source="console_test",
                                  now=called)
    unsettled = make_calls(alice.account, 1, now=called, settle=False)[0]
    recent = make_calls(alice.account, 1, now=called + timedelta(days=30), code="RequestLimitExceeded")[0]
    assert {r.settled_to for r in charged} == {SettledTo.FREE_PACK}
    assert {r.settled_to for r in errors} == {SettledTo.FREE_PACK}  # the caller's bad input is billable
    entries = LedgerEntry.objects.count()

    assert usage_records_delete(now=called + timedelta(days=399), batch=100) == 0
    assert usage_records_delete(now=called + timedelta(days=401), batch=100) == 2
    assert usage_records_delete(now=called + timedelta(days=401), batch=100) == 0  # idempotent
    left = set(UsageRecord.objects.values_list("request_id", flat=True))
    assert not_billed[0].request_id not in left and console.request_id not in left
    assert {r.request_id for r in charged + errors} | {unsettled.request_id, recent.request_id} <= left
    assert LedgerEntry.objects.count() == entries
    check_ledger()

    # Ten years on, a charged record is still there with its ledger entry; an unsettled one too.
    assert usage_records_delete(now=called + timedelta(days=3660 * 3), batch=100) == 1  # ``recent``
    assert set(UsageRecord.objects.values_list("request_id", flat=True)) == (
        {r.request_id for r in charged + errors} | {unsettled.request_id})
    check_ledger()


def test_it_deletes_in_batches(alice, settings):
    settings.USAGE_RECORD_RETENTION_DAYS = 400
    make_calls(alice.account, 5, now=at(2026, 3, 10), code="RequestLimitExceeded")
    later = at(2027, 6, 1)
    assert [usage_records_delete(now=later, batch=2) for _ in range(4)] == [2, 2, 1, 0]
    assert not UsageRecord.objects.exists()


def test_it_keeps_records_of_calls_under_the_qps_mode_as_long_as_the_others(alice, settings):
    settings.USAGE_RECORD_RETENTION_DAYS = 400
    called = at(2026, 3, 10)
    record = make_calls(alice.account, 1, now=called, code="RequestLimitExceeded")[0]
    UsageRecord.objects.filter(id=record.id).update(settled_to=SettledTo.QPS)
    assert usage_records_delete(now=called + timedelta(days=399), batch=10) == 0
    assert usage_records_delete(now=called + timedelta(days=401), batch=10) == 1
