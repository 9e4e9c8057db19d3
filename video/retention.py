"""Video's retention steps (console.retention runs them; README "Retention").

Results and the caller's photo and logo go after their TTL (``video.services.video_results_purge``,
the step before these); segments go when their job closes, and here when that was missed (the
worker died right after closing it); a job row, with its segments' rows, goes ``JOB_RETENTION_DAYS``
after it closed, once its files are gone. The usage record ``video:<JobId>`` outlives the row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage

from console.retention import closed_rows_delete, dated_files_delete
from video.models import OPEN_STATUSES, VideoJob, VideoSegment

RESULTS_PREFIX = "video/results"
ORPHAN_MARGIN = timedelta(days=2)
# A closed job's segments are deleted right after its close commits: past this, that was missed.
SEGMENTS_GRACE = timedelta(hours=1)


def video_segments_delete(*, now: datetime, batch: int) -> int:
    """Segment files of jobs closed more than an hour ago that are still there."""
    left = (VideoSegment.objects.exclude(name="").exclude(job__status__in=OPEN_STATUSES)
            .filter(job__finished_at__lt=now - SEGMENTS_GRACE))
    deleted = 0
    for segment in left.order_by("id")[:batch]:
        # Compare-and-swap on the name: of two runs, one deletes the file.
        if VideoSegment.objects.filter(id=segment.id, name=segment.name).update(name=""):
            default_storage.delete(segment.name)
            deleted += 1
    return deleted


def video_jobs_delete(*, now: datetime, batch: int) -> int:
    """Delete closed jobs older than ``JOB_RETENTION_DAYS`` whose files are purged (``expires_at``
    cleared), with their segments' rows; open jobs are never deleted here."""
    closed = VideoJob.objects.exclude(status__in=OPEN_STATUSES).filter(expires_at__isnull=True)
    return closed_rows_delete(closed, now=now, batch=batch)


def video_orphan_results_delete(*, now: datetime, batch: int) -> int:
    """Result files no job row names any more, in day folders older than the result TTL."""
    before = (now - timedelta(seconds=settings.FUSION_RESULT_TTL_SECONDS) - ORPHAN_MARGIN).date()

    def named(names: list[str]) -> set[str]:
        return set(VideoJob.objects.filter(expires_at__isnull=False, result_name__in=names)
                   .values_list("result_name", flat=True))

    return dated_files_delete(prefix=RESULTS_PREFIX, before=before, batch=batch, keep=named)
