"""The meter: one usage record per API call or console test, keyed by its RequestId (docs/billing.md)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction

from billing.models import (
    SettledTo,
    UsageRecord,
    UsageSource,
)
from console import cloud_errors
from console.clock import now_or
from console.models import Account

log = logging.getLogger(__name__)

def is_billable(result_code: str) -> bool:
    """Which results are billed is decided beside the codes themselves (console/cloud_errors.py)."""
    return cloud_errors.is_billable(result_code)


def usage_record_create(*, request_id: str, account: Account, action: str, result_code: str, billable: bool,
                        latency_ms: int, campaign_project_id: str = "", material_model_id: str = "",
                        source: str = "api", units: int = 1, product: str = "image",
                        now: datetime | None = None) -> UsageRecord:
    """Meter one call (``units`` 1), or one video job's seconds of output (``product`` video, keyed by
    its JobId). Idempotent by ``request_id``: a second call returns the first row.

    Billable calls are settled by a task enqueued on commit; the others are closed at once."""
    now = now_or(now)
    # Console test-effect runs are never billed, nor is a video job that produced nothing.
    billable = billable and source == UsageSource.API and units > 0
    try:
        with transaction.atomic():
            record = UsageRecord.objects.create(
                request_id=request_id, account=account, action=action, result_code=result_code or "",
                units=max(0, int(units)), product=product,
                latency_ms=max(0, int(latency_ms)), billable=billable, source=source, created_at=now,
                campaign_project_id=campaign_project_id or "", material_model_id=material_model_id or "",
                settled_at=None if billable else now, settled_to="" if billable else SettledTo.NOT_BILLED,
            )
    except IntegrityError:
        return UsageRecord.objects.get(request_id=request_id)
    if billable:
        record_id = record.id
        transaction.on_commit(lambda: _enqueue_settlement(record_id))
    return record


def _enqueue_settlement(record_id: int) -> None:
    # The call has been answered already; a broker hiccup must not turn it into an error. The
    # sweeper (billing.tasks.settle_sweep) settles whatever was not enqueued.
    from billing.tasks import settle_usage

    try:
        settle_usage.delay(record_id)
    except Exception:
        log.warning("could not enqueue settlement of usage record %s; the sweeper will settle it", record_id,
                    exc_info=True)
