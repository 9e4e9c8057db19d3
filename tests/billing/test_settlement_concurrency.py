"""Several settlement workers (threads with their own database connections) race for the same
records and for the last calls of a pack: every RequestId is settled once, the pack is consumed once."""

import random
import threading

import pytest
from django.db import connection

from billing.models import Bill, LedgerEntry, Pack, PackKind, SettledTo, UsageRecord
from billing.selectors import ledger_problems
from billing.services import free_pack_ensure, usage_record_create, usage_settle
from console.models import Account
from tests.billing.conftest import at

WORKERS = 4
CALLS = 8


@pytest.mark.django_db(transaction=True)
def test_it_settles_each_call_once_when_workers_race(small_free_pack):
    assert connection.vendor == "postgresql"  # real concurrent transactions, not SQLite's single writer
    account = Account.objects.create(name="Race 科技")
    now = at(2026, 8, 10)
    free_pack_ensure(account=account, now=now)
    ids = [usage_record_create(request_id=f"race-{i}", account=account, action="FuseFace", result_code="",
                               billable=True, latency_ms=5, now=now).id for i in range(CALLS)]
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        order = ids[:]
        random.Random(seed).shuffle(order)
        try:
            barrier.wait()
            for record_id in order:
                usage_settle(record_id=record_id, now=now)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a settlement worker is stuck"
    assert not errors, errors
    pack = Pack.objects.get(account=account, kind=PackKind.FREE)
    assert pack.remaining == 0
    settled = list(UsageRecord.objects.filter(account=account).values_list("settled_to", flat=True))
    assert settled.count(SettledTo.FREE_PACK) == 3 and settled.count(SettledTo.POSTPAID) == CALLS - 3
    assert Bill.objects.get(account=account).calls == CALLS - 3
    usage_entries = LedgerEntry.objects.filter(account=account, reason="usage")
    assert usage_entries.count() == CALLS
    settled_ids = sorted(usage_entries.values_list("usage__request_id", flat=True))
    assert settled_ids == sorted(f"race-{i}" for i in range(CALLS))  # each RequestId exactly once
    assert ledger_problems() == []
