"""Fusion's retention steps (console.retention runs them; README "Retention").

Results and console photos go after their TTL (``fusion.services.fusion_results_purge``, the step
before these); a job row goes ``JOB_RETENTION_DAYS`` after it closed, once its files are gone. The
usage record of the same RequestId (billing) is the call's billing record and outlives the row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from console.retention import closed_rows_delete, dated_files_delete
from fusion.models import FINAL_STATUSES, FusionJob

RESULTS_PREFIX = "fusion/results"
# A result's folder is the day it was stored; its TTL counts from its job's close, moments later.
ORPHAN_MARGIN = timedelta(days=2)


def fusion_jobs_delete(*, now: datetime, batch: int) -> int:
    """Delete closed jobs older than ``JOB_RETENTION_DAYS`` whose files are purged (``expires_at``
    cleared); open jobs are the sweeper's and are never deleted here."""
    closed = FusionJob.objects.filter(status__in=FINAL_STATUSES, expires_at__isnull=True)
    return closed_rows_delete(closed, now=now, batch=batch)


def fusion_orphan_results_delete(*, now: datetime, batch: int) -> int:
    """Result files no job row names any more, in day folders older than the longest result TTL."""
    ttl = max(settings.FUSION_RESULT_TTL_SECONDS, settings.FUSION_ULTRA_RESULT_TTL_SECONDS)
    before = (now - timedelta(seconds=ttl) - ORPHAN_MARGIN).date()

    def named(names: list[str]) -> set[str]:
        # A named result is a live one (its expiry not yet purged): the expires_at index finds them.
        return set(FusionJob.objects.filter(expires_at__isnull=False, result_name__in=names)
                   .values_list("result_name", flat=True))

    return dated_files_delete(prefix=RESULTS_PREFIX, before=before, batch=batch, keep=named)
