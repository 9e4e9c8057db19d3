"""Video retention (video.retention and the result purge): the result, the caller's photo and logo
go after their TTL, segments left behind by a worker that died after closing its job go an hour
after it closed, the row (and its segments' rows) after JOB_RETENTION_DAYS; open jobs stay. Real
files, real rows; time moves through the services' ``now``."""

from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from video.models import VideoJob, VideoJobStatus, VideoSegment
from video.retention import video_jobs_delete, video_orphan_results_delete, video_segments_delete
from video.services import video_results_purge


def _job(account, *, status: str, request_id: str, finished_at=None, ttl_days: int = 7) -> VideoJob:
    folder = f"video/sources/{account.id}/{request_id}"
    photo = default_storage.save(f"{folder}.jpg", ContentFile(b"\xff\xd8 a photo"))
    logo = default_storage.save(f"{folder}.logo", ContentFile(b"logo"))
    result = default_storage.save(f"video/results/{timezone.now():%Y/%m/%d}/{request_id}.mp4", ContentFile(b"mp4"))
    job = VideoJob.objects.create(
        request_id=request_id, account=account, source="api", status=status, campaign_project_id="at_1",
        material_model_id="mt_1", photo_name=photo, logo_name=logo, frames=100, segments_total=2,
        enqueued_at=timezone.now(), finished_at=finished_at,
        result_name=result if status == VideoJobStatus.SUCCEEDED else "",
        expires_at=finished_at + timedelta(days=ttl_days) if finished_at else None)
    for index in range(2):
        name = default_storage.save(f"video/segments/{job.job_id}/{index:05d}.mp4", ContentFile(b"seg"))
        VideoSegment.objects.create(job=job, index=index, start=index * 50, stop=index * 50 + 50, name=name,
                                    done_at=timezone.now())
    return job


def test_it_deletes_files_after_their_ttl_and_the_row_after_its_days(alice, settings):
    settings.JOB_RETENTION_DAYS = 30
    closed = timezone.now()
    job = _job(alice.account, status=VideoJobStatus.SUCCEEDED, request_id="r-1", finished_at=closed)
    files = [job.result_name, job.photo_name, job.logo_name]
    segments = list(job.segments.values_list("name", flat=True))

    assert video_segments_delete(now=closed + timedelta(minutes=30), batch=10) == 0
    assert video_segments_delete(now=closed + timedelta(hours=2), batch=10) == 2
    assert video_segments_delete(now=closed + timedelta(hours=2), batch=10) == 0
    assert not any(default_storage.exists(n) for n in segments)
    assert all(default_storage.exists(n) for n in files)

    assert video_results_purge(now=closed + timedelta(days=6)) == 0
    assert video_results_purge(now=closed + timedelta(days=7, seconds=1)) == 1
    assert not any(default_storage.exists(n) for n in files)
    assert video_jobs_delete(now=closed + timedelta(days=29), batch=10) == 0
    assert video_jobs_delete(now=closed + timedelta(days=31), batch=10) == 1
    assert not VideoJob.objects.filter(id=job.id).exists() and not VideoSegment.objects.exists()


def test_it_never_deletes_an_open_job_or_its_segments(alice, settings):
    settings.JOB_RETENTION_DAYS = 1
    job = _job(alice.account, status=VideoJobStatus.PROCESSING, request_id="r-open")
    far = timezone.now() + timedelta(days=1000)
    assert video_results_purge(now=far) == 0
    assert video_segments_delete(now=far, batch=10) == 0
    assert video_jobs_delete(now=far, batch=10) == 0
    assert VideoJob.objects.filter(id=job.id).exists()
    assert all(default_storage.exists(n) for n in job.segments.values_list("name", flat=True))
    assert default_storage.exists(job.photo_name)


def test_it_deletes_orphan_results_in_day_folders_past_the_ttl(alice, settings):
    now = timezone.now()
    old_day = f"{now - timedelta(days=10):%Y/%m/%d}"
    orphan = default_storage.save(f"video/results/{old_day}/orphan.mp4", ContentFile(b"mp4"))
    fresh = default_storage.save(f"video/results/{now:%Y/%m/%d}/fresh.mp4", ContentFile(b"mp4"))
    assert video_orphan_results_delete(now=now, batch=10) == 1
    assert not default_storage.exists(orphan) and default_storage.exists(fresh)
    assert not Path(settings.MEDIA_ROOT, "video/results", old_day).exists()
