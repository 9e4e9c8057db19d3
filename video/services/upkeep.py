"""Periodic work on video jobs: jobs nobody works on taken over or failed, results purged after their TTL."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import F, Q

from console.clock import now_or
from video.models import (
    VideoJob,
    VideoJobStatus,
)
from video.services.jobs import INNER_ERROR, enqueue_finish, enqueue_segments, error_messages
from video.services.worker import job_fail

log = logging.getLogger(__name__)


def video_jobs_sweep(*, now: datetime | None = None) -> int:
    """Jobs nobody is working on: a queued job whose messages were lost, or a processing one whose
    worker stopped beating (killed, its host gone) for ``VIDEO_JOB_STALL_SECONDS``. Each is taken
    over with a compare-and-swap on its heartbeat (two sweepers never both take it): its undone
    segments are enqueued again (done ones are kept: the job resumes), or, after
    ``VIDEO_JOB_MAX_ATTEMPTS`` takeovers, it is closed as failed and not billed."""
    now = now_or(now)
    stall = now - timedelta(seconds=settings.VIDEO_JOB_STALL_SECONDS)
    stuck = VideoJob.objects.filter(
        Q(status=VideoJobStatus.QUEUED, enqueued_at__lt=stall)
        | Q(status=VideoJobStatus.PROCESSING, heartbeat_at__lt=stall)).select_related("account")[:200]
    taken = 0
    for job in stuck:
        if job.attempts + 1 >= settings.VIDEO_JOB_MAX_ATTEMPTS:
            zh, en = error_messages(INNER_ERROR)
            taken += job_fail(job, INNER_ERROR, zh, en)
            continue
        claimed = VideoJob.objects.filter(id=job.id, status=job.status, heartbeat_at=job.heartbeat_at,
                                          enqueued_at=job.enqueued_at).update(
            attempts=F("attempts") + 1, heartbeat_at=now, enqueued_at=now)
        if not claimed:
            continue
        undone = list(job.segments.filter(done_at__isnull=True).values_list("index", flat=True))
        if undone:
            enqueue_segments(job.id, undone)
        else:
            enqueue_finish(job.id)
        log.warning("video job %s taken over (%d segments left)", job.job_id, len(undone))
        taken += 1
    return taken


def video_results_purge(*, now: datetime | None = None, batch: int = 200) -> int:
    """Delete results and photos past their time (FUSION_RESULT_TTL_SECONDS). Safe to run twice."""
    now = now_or(now)
    purged = 0
    for job in VideoJob.objects.filter(expires_at__lte=now)[:batch]:
        names = [job.result_name, job.photo_name, job.logo_name]
        if VideoJob.objects.filter(id=job.id, expires_at=job.expires_at).update(result_name="", expires_at=None):
            for name in filter(None, names):
                default_storage.delete(name)
            purged += 1
    return purged
