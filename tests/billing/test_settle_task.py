"""The settlement task on a real Celery worker: a call is settled and visible within seconds, and a
task delivered several times settles once."""

import time

from django.urls import reverse

from billing.models import Pack, PackKind, SettledTo, UsageRecord
from billing.selectors import ledger_problems
from billing.services import usage_record_create
from billing.tasks import settle_usage
from tests.conftest import login


def _wait_settled(request_id: str, seconds: float = 5.0) -> UsageRecord:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record = UsageRecord.objects.get(request_id=request_id)
        if record.settled_at is not None:
            return record
        time.sleep(0.1)
    raise AssertionError(f"{request_id} was not settled within {seconds} s")


def test_a_call_is_settled_and_shown_within_five_seconds(celery_worker_process, alice):
    usage_record_create(request_id="live-1", account=alice.account, action="FuseFace", result_code="",
                        billable=True, latency_ms=90, campaign_project_id="at_live")
    record = _wait_settled("live-1")
    assert record.settled_to == SettledTo.FREE_PACK
    data = login(alice.owner).get(reverse("billing:usage_data")).json()
    assert data["totals"]["free"] == 1 and data["by_campaign"][0]["key"] == "at_live"


def test_a_settlement_delivered_three_times_settles_once(celery_worker_process, alice):
    record = usage_record_create(request_id="dup-1", account=alice.account, action="FuseFace", result_code="",
                                 billable=True, latency_ms=90)
    for _ in range(3):
        settle_usage.delay(record.id)
    _wait_settled("dup-1")
    time.sleep(0.5)  # let the redeliveries run
    pack = Pack.objects.get(account=alice.account, kind=PackKind.FREE)
    assert pack.remaining == pack.calls_total - 1
    assert ledger_problems() == []
