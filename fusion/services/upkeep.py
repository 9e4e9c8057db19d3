"""Periodic work on fusion jobs: stored results purged after their TTL, jobs nobody closed swept."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from fusion.models import OPEN_STATUSES, FusionJob, JobSource
from fusion.services.jobs import SERVER_ERROR, fusion_job_expire, record_abandoned_api_usage

log = logging.getLogger(__name__)


def fusion_results_purge(*, now: datetime | None = None, batch: int = 500) -> int:
    """Delete stored results (and console photos) whose 7 days are over. Safe to run anywhere, twice."""
    now = now or timezone.now()
    purged = 0
    for job in FusionJob.objects.filter(expires_at__lte=now)[:batch]:
        names = [job.result_name, job.template_name] + [m.get("source_name") for m in job.mappings]
        if FusionJob.objects.filter(id=job.id, expires_at=job.expires_at).update(result_name="", template_name="",
                                                                                  expires_at=None):
            for name in filter(None, names):
                default_storage.delete(name)
            purged += 1
    return purged


def fusion_jobs_sweep(*, now: datetime | None = None, grace_seconds: int = 60) -> int:
    """Close jobs whose deadline passed long ago and that nobody closed (a web process died while
    waiting, or could not reach the database), so nothing stays queued or running forever. They close
    as FailedOperation.ServerError — what a web process answers when it cannot close its job — and
    an API job without a usage record gets one saying the same."""
    now = now or timezone.now()
    closed = 0
    for job in FusionJob.objects.filter(status__in=OPEN_STATUSES,
                                        deadline_at__lt=now - timedelta(seconds=grace_seconds))[:500]:
        with transaction.atomic():
            if fusion_job_expire(job=job, code=SERVER_ERROR):
                closed += 1
                if job.source == JobSource.API:
                    record_abandoned_api_usage(job, SERVER_ERROR, job.finished_at or now)
    if closed:
        log.warning("closed %d fusion jobs nobody closed", closed)
    return closed
