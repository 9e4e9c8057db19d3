"""Reads of video jobs, scoped by account: another account's job answers like a missing one."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from console.models import Account
from video.models import VideoJob, VideoJobSource


def video_job_find(*, account: Account, job_id: str) -> VideoJob | None:
    """An API job by its JobId."""
    return VideoJob.objects.filter(account=account, job_id=job_id).first()


def video_test_job_get(*, account: Account, job_pk: str) -> VideoJob:
    try:
        uuid.UUID(str(job_pk))
    except ValueError:
        raise Http404
    job = VideoJob.objects.filter(account=account, source=VideoJobSource.CONSOLE_TEST, id=job_pk).first()
    if job is None:
        raise Http404
    return job


def video_test_jobs_recent(*, account: Account, limit: int = 10) -> QuerySet[VideoJob]:
    return VideoJob.objects.filter(account=account, source=VideoJobSource.CONSOLE_TEST).order_by("-created_at")[:limit]


def video_job_progress(job: VideoJob) -> int:
    """Percent of the job's segments done (the console's progress bar)."""
    if job.is_final:
        return 100
    done = job.segments.filter(done_at__isnull=True).count()
    return int(100 * (job.segments_total - done) / max(job.segments_total, 1))
