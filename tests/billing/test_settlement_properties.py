"""Property-based: any sequence of calls, retries, top-ups, purchases, payments, mode switches and
month ends leaves every figure equal to the sum of its ledger entries, settles each RequestId once,
and draws each call from the right place (free pack → paid packs by expiry → postpaid)."""

import contextlib
import itertools
from datetime import timedelta

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import clock
from billing.models import Bill, BillStatus, LedgerEntry, Pack, PackKind, PriceItem, SettledTo, UsageRecord
from billing.selectors import balance_fen, billing_mode, ledger_problems, qps_grants_active
from billing.services import (
    balance_top_up,
    bill_pay,
    billing_mode_set,
    bills_close,
    free_pack_ensure,
    is_billable,
    order_create,
    packs_expire,
    usage_record_create,
    usage_settle,
)
from console.models import Account
from tests.billing.conftest import at

_seq = itertools.count(1)

operations = st.lists(st.one_of(
    st.tuples(st.just("call"), st.integers(1, 4), st.sampled_from(["", "Success", "FailedOperation.NoFaceDetected",
                                                                 "AuthFailure.SignatureFailure"])),
    st.tuples(st.just("retry"), st.integers(0, 50)),
    st.tuples(st.just("top_up"), st.integers(1, 500)),
    st.tuples(st.just("buy"), st.sampled_from(["pack_1m", "pack_5m", "qps_10"])),
    st.tuples(st.just("advance"), st.integers(1, 20)),
    st.tuples(st.just("pay"), st.just(0)),
    st.tuples(st.just("mode"), st.sampled_from(["qps", "standard"])),
), min_size=1, max_size=16)


def _expected_pack(account: Account, moment) -> Pack | None:
    """The pack docs/billing.md says a call at ``moment`` draws on, computed apart from the service."""
    usable = [p for p in Pack.objects.filter(account=account)
              if p.remaining > 0 and p.expired_at is None and p.valid_from <= moment < p.expires_at]
    usable.sort(key=lambda p: (p.kind != PackKind.FREE, p.expires_at, p.id))
    return usable[0] if usable else None


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=operations, start_day=st.integers(20, 31))
def test_settlement_keeps_the_books_exact(db, small_free_pack, ops, start_day):
    PriceItem.objects.filter(code="pack_1m").update(quantity=2, price_fen=100)
    PriceItem.objects.filter(code="pack_5m").update(quantity=3, price_fen=150)
    PriceItem.objects.filter(code="qps_10").update(price_fen=50)
    account = Account.objects.create(name=f"Prop {next(_seq)}")
    now = at(2026, 1, start_day, 10)
    records: list[UsageRecord] = []
    for op in ops:
        kind = op[0]
        if kind == "call":
            for _ in range(op[1]):
                code = op[2]
                record = usage_record_create(request_id=f"p{next(_seq)}", account=account, action="FuseFace",
                                             result_code=code, billable=is_billable(code), latency_ms=1, now=now)
                if is_billable(code):  # the month's free pack exists before a call draws on it
                    free_pack_ensure(account=account, now=now)
                expected = _expected_pack(account, now)
                qps_on = billing_mode(account=account) == "qps" and qps_grants_active(account=account,
                                                                                       now=now).exists()
                record = usage_settle(record_id=record.id, now=now)
                if not is_billable(code):
                    assert record.settled_to == SettledTo.NOT_BILLED
                elif qps_on:
                    assert record.settled_to == SettledTo.QPS
                elif expected is not None:
                    assert record.pack_id == expected.id
                else:
                    assert record.settled_to == SettledTo.POSTPAID
                records.append(record)
        elif kind == "retry" and records:
            record = records[op[1] % len(records)]
            again = usage_record_create(request_id=record.request_id, account=account, action="FuseFace",
                                        result_code="", billable=True, latency_ms=1, now=now)
            assert again.id == record.id
            usage_settle(record_id=record.id, now=now)
        elif kind == "top_up":
            balance_top_up(account=account, amount_fen=op[1], actor=None, note="t", now=now)
        elif kind == "buy":
            before = balance_fen(account=account)
            try:
                order_create(account=account, price_code=op[1], quantity=1, actor=None, now=now)
            except ValidationError:
                assert balance_fen(account=account) == before
        elif kind == "advance":
            later = now + timedelta(days=op[1])
            if clock.month_of(later) != clock.month_of(now):
                bills_close(now=clock.month_start(clock.month_of(later)) + timedelta(minutes=5))
            packs_expire(now=later)
            now = later
        elif kind == "pay":
            for bill in Bill.objects.filter(account=account, status=BillStatus.UNPAID):
                with contextlib.suppress(ValidationError):  # short of money: stays unpaid
                    bill_pay(account=account, bill_id=bill.id, actor=None, now=now)
        elif kind == "mode":
            with contextlib.suppress(ValidationError):  # QPS mode needs QPS valid now
                billing_mode_set(account=account, mode=op[1], actor=None, now=now)
        assert balance_fen(account=account) >= 0
    assert ledger_problems() == []
    charged = UsageRecord.objects.filter(account=account, settled_to__in=["free_pack", "paid_pack", "postpaid"])
    assert LedgerEntry.objects.filter(account=account, reason="usage").count() == charged.count()
    assert UsageRecord.objects.filter(account=account, settled_at__isnull=True).count() == 0
    postpaid = charged.filter(settled_to="postpaid").count()
    assert sum(Bill.objects.filter(account=account).values_list("calls", flat=True)) == postpaid
