"""Video is billed by seconds of output, as its own product: the month's free seconds first, then
video packs by expiry, then postpaid at the video tier; a job's seconds may span packs, and the
ledger still adds up. Image calls and video seconds never draw on each other's packs."""

from __future__ import annotations

import pytest

from tests.billing.conftest import at, top_up

pytestmark = pytest.mark.django_db


def _record(account, request_id: str, seconds: int, when=None):
    from billing.services import usage_record_create

    return usage_record_create(request_id=request_id, account=account, action="VideoFaceFusion",
                               result_code="Success", billable=True, latency_ms=1000, units=seconds,
                               product="video", campaign_project_id="at_video", now=when)


def test_a_jobs_seconds_span_the_free_pack_a_video_pack_and_postpaid(alice, operator):
    from billing.models import Bill, LedgerEntry, Pack, PackKind, SettledTo
    from billing.selectors import ledger_problems
    from billing.services import bill_close, order_create, usage_settle

    top_up(alice.account, 100_000, operator, now=at(2026, 6, 1, 8))
    order_create(account=alice.account, price_code="video_pack_1k", quantity=1, actor=alice.owner.user,
                 now=at(2026, 6, 1, 9))
    first = usage_settle(record_id=_record(alice.account, "video:a", 350, at(2026, 6, 2)).id, now=at(2026, 6, 2))
    assert first.settled_to == SettledTo.PAID_PACK
    free = Pack.objects.get(account=alice.account, kind=PackKind.FREE, product="video")
    paid = Pack.objects.get(account=alice.account, kind=PackKind.PAID, product="video")
    assert (free.remaining, paid.remaining) == (0, 950)
    assert sorted(e.delta for e in LedgerEntry.objects.filter(usage=first, reason="usage")) == [-300, -50]

    second = usage_settle(record_id=_record(alice.account, "video:b", 1000, at(2026, 6, 3)).id, now=at(2026, 6, 3))
    assert second.settled_to == SettledTo.POSTPAID
    bill = Bill.objects.get(account=alice.account, product="video")
    assert bill.calls == 50
    # Settling again takes nothing more.
    usage_settle(record_id=second.id, now=at(2026, 6, 4))
    assert Bill.objects.get(id=bill.id).calls == 50
    assert ledger_problems() == []
    # No image pack was touched, and the month's video seconds are priced at the video tier: 0.10 元 a second.
    assert not Pack.objects.filter(account=alice.account, product="image", kind=PackKind.PAID).exists()
    closed = bill_close(bill_id=bill.id, now=at(2026, 7, 1, 0, 5))
    assert (closed.unit_price_millifen, closed.amount_fen) == (10_000, 500)
    assert [(line.label, line.calls) for line in closed.lines.all()] == [("at_video", 50)]
    assert ledger_problems() == []


def test_image_calls_do_not_draw_on_video_seconds(alice):
    from billing.models import Pack, SettledTo
    from billing.services import usage_record_create, usage_settle

    record = usage_record_create(request_id="img-1", account=alice.account, action="FuseFace", result_code="Success",
                                 billable=True, latency_ms=100, now=at(2026, 6, 2))
    assert usage_settle(record_id=record.id, now=at(2026, 6, 2)).settled_to == SettledTo.FREE_PACK
    video_free = Pack.objects.filter(account=alice.account, product="video")
    assert not video_free.exists() or video_free.get().remaining == video_free.get().calls_total


def test_a_failed_or_console_video_job_is_never_billed(alice):
    from billing.services import usage_record_create

    failed = usage_record_create(request_id="video:f", account=alice.account, action="VideoFaceFusion",
                                 result_code="FailedOperation.NoFaceDetected", billable=False, latency_ms=1, units=0,
                                 product="video")
    console = usage_record_create(request_id="video:c", account=alice.account, action="VideoFaceFusion",
                                  result_code="Success", billable=True, latency_ms=1, units=5, product="video",
                                  source="console_test")
    assert not failed.billable and not console.billable and console.settled_to == "not_billed"


def test_the_billing_page_shows_the_video_seconds_apart_from_the_calls(alice):
    from billing.services import usage_settle
    from tests.conftest import login

    usage_settle(record_id=_record(alice.account, "video:p", 40, None).id)
    body = login(alice.owner).get("/billing/").content.decode()
    assert 'data-testid="video-seconds"' in body and ">260<" in body  # 300 free seconds, 40 used
    assert login(alice.owner).get("/billing/").context["free"].product == "image"
