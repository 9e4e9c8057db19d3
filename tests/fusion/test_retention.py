"""Fusion retention (fusion.retention and the result purge): results and console photos go after
their TTL, the job row after JOB_RETENTION_DAYS once its files are gone, orphan results in old day
folders; open jobs and the usage record of the same RequestId stay. Real files, real rows; time moves
through the services' ``now``."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from billing.models import UsageRecord
from fusion import services
from fusion.models import FusionJob, JobSource, JobStatus
from fusion.retention import fusion_jobs_delete, fusion_orphan_results_delete
from tests.api.conftest import approved_material
from tests.console.test_media_storage import moto_endpoint, s3_storage  # noqa: F401 - an S3 bucket on moto


def _console_job(alice, material, request_id: str) -> tuple[FusionJob, str]:
    """A test-effect run whose photo is stored beside the job, closed (timed out) as the page would."""
    photo = services.fusion_job_store_source(account=alice.account, data=b"\xff\xd8 a photo", ext="jpg")
    job = services.fusion_job_create(
        account=alice.account, member=alice.owner, request_id=request_id, source=JobSource.CONSOLE_TEST,
        campaign_project_id=material.campaign.project_id, material_model_id=material.model_id,
        version=material.campaign.version, mappings=[services.MappingSpec(source_name=photo)], deadline_seconds=30)
    assert services.fusion_job_expire(job=job)
    job.refresh_from_db()
    return job, photo


def test_it_deletes_the_photo_after_its_ttl_and_the_row_after_its_days(alice, faces_dir, settings):
    settings.JOB_RETENTION_DAYS = 30
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job, photo = _console_job(alice, material, "console-1")
    result = default_storage.save(f"fusion/results/{timezone.now():%Y/%m/%d}/{job.id}.png", ContentFile(b"png"))
    FusionJob.objects.filter(id=job.id).update(result_name=result)
    closed = job.finished_at
    assert default_storage.exists(photo) and job.expires_at == closed + timedelta(days=7)

    assert services.fusion_results_purge(now=closed + timedelta(days=6)) == 0
    assert fusion_jobs_delete(now=closed + timedelta(days=6), batch=10) == 0
    assert default_storage.exists(photo) and default_storage.exists(result)

    assert services.fusion_results_purge(now=closed + timedelta(days=7, seconds=1)) == 1
    assert not default_storage.exists(photo) and not default_storage.exists(result)
    assert fusion_jobs_delete(now=closed + timedelta(days=29), batch=10) == 0
    assert FusionJob.objects.filter(id=job.id).exists()

    assert fusion_jobs_delete(now=closed + timedelta(days=31), batch=10) == 1
    assert fusion_jobs_delete(now=closed + timedelta(days=31), batch=10) == 0
    assert not FusionJob.objects.filter(id=job.id).exists()
    # The call's usage record (not billed: a console run) outlives its job row.
    assert UsageRecord.objects.filter(request_id="console-1").exists()


def test_it_keeps_a_row_whose_files_are_not_purged_yet_and_never_deletes_open_jobs(alice, faces_dir, settings):
    settings.JOB_RETENTION_DAYS = 1
    settings.FUSION_RESULT_TTL_SECONDS = 10 * 24 * 3600
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    closed, _photo = _console_job(alice, material, "console-1")
    open_job = services.fusion_job_create(
        account=alice.account, request_id="api-open", source=JobSource.API,
        campaign_project_id=material.campaign.project_id, material_model_id=material.model_id,
        version=material.campaign.version, mappings=[services.MappingSpec(image_b64="eA==")], deadline_seconds=30)
    later = timezone.now() + timedelta(days=5)
    assert fusion_jobs_delete(now=later, batch=10) == 0  # the closed one's photo lives 10 days
    assert services.fusion_results_purge(now=later + timedelta(days=6)) == 1
    assert fusion_jobs_delete(now=later + timedelta(days=6), batch=10) == 1
    assert fusion_jobs_delete(now=later + timedelta(days=1000), batch=10) == 0
    open_job.refresh_from_db()
    assert open_job.status == JobStatus.QUEUED
    assert not FusionJob.objects.filter(id=closed.id).exists()


def test_it_deletes_orphan_results_in_day_folders_past_the_ttl(alice, faces_dir, settings):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    now = timezone.now()
    old_day, new_day = f"{now - timedelta(days=10):%Y/%m/%d}", f"{now - timedelta(days=8):%Y/%m/%d}"
    orphan = default_storage.save(f"fusion/results/{old_day}/orphan.png", ContentFile(b"png"))
    recent = default_storage.save(f"fusion/results/{new_day}/recent.png", ContentFile(b"png"))
    elsewhere = default_storage.save("fusion/results/legacy.png", ContentFile(b"png"))
    # A live result in an old folder (its TTL was longer when it was stored) is kept.
    job, _photo = _console_job(alice, material, "console-1")
    live = default_storage.save(f"fusion/results/{old_day}/live.png", ContentFile(b"png"))
    FusionJob.objects.filter(id=job.id).update(result_name=live, expires_at=now + timedelta(days=1))

    assert fusion_orphan_results_delete(now=now, batch=10) == 1
    assert fusion_orphan_results_delete(now=now, batch=10) == 0
    assert not default_storage.exists(orphan)
    assert all(default_storage.exists(n) for n in (recent, elsewhere, live))

    FusionJob.objects.filter(id=job.id).update(result_name="", expires_at=None)
    assert fusion_orphan_results_delete(now=now, batch=10) == 1
    # The emptied local folders go too, up to the year's.
    assert not Path(settings.MEDIA_ROOT, "fusion/results", old_day).exists()
    assert Path(settings.MEDIA_ROOT, "fusion/results", new_day).exists()


@pytest.mark.usefixtures("s3_storage")
def test_it_deletes_orphan_results_in_a_bucket_too(db):
    now = timezone.now()
    old_day = f"{now - timedelta(days=10):%Y/%m/%d}"
    orphan = default_storage.save(f"fusion/results/{old_day}/orphan.png", ContentFile(b"png"))
    fresh = default_storage.save(f"fusion/results/{now:%Y/%m/%d}/fresh.png", ContentFile(b"png"))
    assert fusion_orphan_results_delete(now=now, batch=10) == 1
    assert fusion_orphan_results_delete(now=now, batch=10) == 0
    assert not default_storage.exists(orphan) and default_storage.exists(fresh)
