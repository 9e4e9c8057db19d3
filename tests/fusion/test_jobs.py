"""Fusion jobs: enqueue, run on a real worker, wait, time out, redeliver, purge, sweep."""

import base64
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from fusion import services
from fusion.models import FusionJob, JobSource, JobStatus
from tests.api.conftest import approved_material


def _job(account, material, faces_dir, *, rsp: str = "base64", deadline: float | None = None,
         request_id: str = "req-1") -> FusionJob:
    photo = base64.b64encode((faces_dir / "obama.jpg").read_bytes()).decode()
    return services.fusion_job_create(
        account=account, request_id=request_id, source=JobSource.API,
        campaign_project_id=material.campaign.project_id, material_model_id=material.model_id,
        version=material.campaign.version, mappings=[services.MappingSpec(image_b64=photo)], rsp_img_type=rsp,
        deadline_seconds=deadline)


def _photo(faces_dir) -> list[str]:
    return [base64.b64encode((faces_dir / "obama.jpg").read_bytes()).decode()]


@pytest.mark.worker
def test_it_runs_a_job_on_the_fusion_queue_once(celery_worker_process, alice, faces_dir):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir)
    outcome = services.fusion_job_wait(job=job, want_image=True)
    assert outcome.ok, outcome
    assert outcome.image.startswith(b"\x89PNG") and outcome.engine_ms > 0
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 1 and job.result_name == ""

    # A redelivered message finds the job finished and changes nothing.
    assert services.fusion_job_run(job_id=str(job.id), images=_photo(faces_dir)) is None
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 1

    url_job = _job(alice.account, material, faces_dir, rsp="url", request_id="req-2")
    outcome = services.fusion_job_wait(job=url_job, want_image=False)
    assert outcome.ok and outcome.result_name.startswith("fusion/results/")
    assert default_storage.open(outcome.result_name).read(8) == b"\x89PNG\r\n\x1a\n"
    url_job.refresh_from_db()
    assert url_job.expires_at > timezone.now() + timedelta(days=6)


def test_it_times_out_and_a_late_delivery_changes_nothing(alice, faces_dir):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, deadline=0.5)
    outcome = services.fusion_job_wait(job=job, want_image=True)
    assert outcome.code == "FailedOperation.RequestTimeout"
    job.refresh_from_db()
    assert job.status == JobStatus.TIMED_OUT
    assert services.fusion_job_run(job_id=str(job.id), images=_photo(faces_dir)) is None
    job.refresh_from_db()
    assert job.status == JobStatus.TIMED_OUT and job.attempts == 0


def test_it_runs_in_process_and_reports_engine_errors(alice, faces_dir):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, deadline=30)
    no_face = base64.b64encode((faces_dir / "astronaut_collins.png").read_bytes()[:3000]).decode()
    outcome = services.fusion_job_run(job_id=str(job.id), images=[no_face])
    assert outcome.code == "FailedOperation.ImageDecodeFailed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.result_code == "FailedOperation.ImageDecodeFailed"


def test_it_fails_cleanly_when_the_material_is_gone(alice, bob, faces_dir):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, deadline=30)
    FusionJob.objects.filter(id=job.id).update(account=bob.account)  # not bob's material: treated as missing
    outcome = services.fusion_job_run(job_id=str(job.id), images=_photo(faces_dir))
    assert outcome.code == "InvalidParameterValue.MaterialIdNotFound"


def test_it_purges_results_after_their_seven_days(alice, faces_dir):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    now = timezone.now()
    old = _job(alice.account, material, faces_dir, request_id="old", deadline=30)
    fresh = _job(alice.account, material, faces_dir, request_id="fresh", deadline=30)
    for job, expires in ((old, now - timedelta(seconds=1)), (fresh, now + timedelta(days=3))):
        name = default_storage.save(f"fusion/results/{job.id}.png", ContentFile(b"png"))
        FusionJob.objects.filter(id=job.id).update(result_name=name, expires_at=expires, status=JobStatus.SUCCEEDED)
    assert services.fusion_results_purge(now=now) == 1
    assert services.fusion_results_purge(now=now) == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.result_name == "" and not default_storage.exists(f"fusion/results/{old.id}.png")
    assert default_storage.exists(fresh.result_name)


def test_it_sweeps_jobs_nobody_closed(alice, faces_dir):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, deadline=1)
    assert services.fusion_jobs_sweep(now=timezone.now() + timedelta(minutes=5)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.TIMED_OUT
    assert services.fusion_jobs_sweep(now=timezone.now() + timedelta(minutes=5)) == 0


def test_it_never_answers_success_without_the_image(alice, faces_dir, monkeypatch):
    """A base64 reply over Redis travels only in the worker's answer. When that answer is lost (Redis
    failed as the worker published, or the worker died right after committing), the job row says
    succeeded but holds no image: the caller must not get an empty FusedImage billed as a success."""
    from fusion import channel

    def publish_fails(job_id: str, answer: dict) -> None:
        raise ConnectionError("redis went away")

    monkeypatch.setattr(channel, "uses_redis", lambda: True)
    monkeypatch.setattr(channel, "publish", publish_fails)
    monkeypatch.setattr(channel, "wait", lambda job_id, timeout: None)
    monkeypatch.setattr(services, "_fuse", lambda job, images, logo: (b"\x89PNG\r\n\x1a\nfused", "PNG", 5))
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, deadline=30)
    with pytest.raises(ConnectionError):
        services.fusion_job_run(job_id=str(job.id), images=_photo(faces_dir))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result_name == ""

    outcome = services.fusion_job_wait(job=job, want_image=True)
    assert not outcome.ok and outcome.code == "FailedOperation.ServerError"
    assert outcome.image is None
