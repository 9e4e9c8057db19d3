"""Fusion jobs: enqueue, run on a real worker, wait, time out, redeliver, purge, sweep, and the
state machine's forbidden moves."""

import base64
import itertools
import threading
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from fusion import channel, services
from fusion.models import JOB_TRANSITIONS, FusionJob, JobAction, JobSource, JobStatus
from fusion.services import jobs, waiting, worker
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
    assert base64.b64decode(outcome.image_b64).startswith(b"\x89PNG") and outcome.engine_ms > 0
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
        FusionJob.objects.filter(id=job.id).update(result_name=name, expires_at=expires, status=JobStatus.SUCCEEDED,
                                                  result_code="Success", finished_at=now)
    assert services.fusion_results_purge(now=now) == 1
    assert services.fusion_results_purge(now=now) == 0
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.result_name == "" and not default_storage.exists(f"fusion/results/{old.id}.png")
    assert default_storage.exists(fresh.result_name)


def test_it_sweeps_jobs_nobody_closed_and_records_what_they_say(alice, faces_dir):
    from billing.models import UsageRecord

    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, deadline=1)
    assert services.fusion_jobs_sweep(now=timezone.now() + timedelta(minutes=5)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.result_code == "FailedOperation.ServerError"
    # Nobody answered or metered the call: its usage record now says what the job says, unbilled.
    record = UsageRecord.objects.get(request_id=job.request_id)
    assert record.result_code == job.result_code and not record.billable
    assert services.fusion_jobs_sweep(now=timezone.now() + timedelta(minutes=5)) == 0


def _succeed_without_publishing(job, faces_dir, monkeypatch, *, store_fails: bool = False) -> None:
    """Runs the job in process while the answers channel is down (a Redis restart as the worker publishes)."""
    from fusion import channel

    def publish_fails(job_id: str, answer: dict) -> None:
        raise channel.ChannelDown("redis went away")

    monkeypatch.setattr(channel, "uses_redis", lambda: True)
    monkeypatch.setattr(channel, "publish", publish_fails)
    monkeypatch.setattr(worker, "_fuse", lambda job, images, logo: (b"\x89PNG\r\n\x1a\nfused", "PNG", 5))
    if store_fails:
        monkeypatch.setattr(worker, "_store", lambda job, image, fmt: (_ for _ in ()).throw(OSError("disk gone")))
    services.fusion_job_run(job_id=str(job.id), images=_photo(faces_dir))


def test_it_stores_a_base64_result_whose_answer_could_not_be_published(alice, faces_dir, monkeypatch):
    """The answers channel failed as the worker published: the image goes to storage instead, and a
    waiter that follows the job row (its own wait on Redis failed too) delivers it."""
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, deadline=30)
    _succeed_without_publishing(job, faces_dir, monkeypatch)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result_name.startswith("fusion/results/")
    outcome = waiting._outcome_from_row(job, want_image=True, last_look=True)
    assert outcome.ok and outcome.image == b"\x89PNG\r\n\x1a\nfused"


def test_it_never_answers_success_without_the_image(alice, faces_dir, monkeypatch):
    """A base64 result that reached neither the caller nor storage: the caller is told ServerError and
    the job row says the same, so the usage record (written from the answer) agrees with both."""
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, deadline=1)
    _succeed_without_publishing(job, faces_dir, monkeypatch, store_fails=True)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result_name == ""
    monkeypatch.setattr(channel, "Waiter", _DeadWaiter)
    outcome = services.fusion_job_wait(job=job, want_image=True)
    assert outcome.code == "FailedOperation.ServerError" and outcome.image is None and outcome.image_b64 is None
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.result_code == "FailedOperation.ServerError"


class _DeadWaiter:
    """The answers channel of a Redis that went away."""

    def __init__(self, job_id: str) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def next(self, timeout: float):
        from fusion import channel

        time.sleep(min(timeout, 0.05))
        raise channel.ChannelDown("connection refused")


def test_it_closes_the_job_at_once_when_the_result_cannot_be_stored(alice, faces_dir, monkeypatch):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, rsp="url", deadline=30)
    monkeypatch.setattr(worker, "_fuse", lambda job, images, logo: (b"\x89PNG\r\n\x1a\nfused", "PNG", 5))
    monkeypatch.setattr(worker, "_store", lambda job, image, fmt: (_ for _ in ()).throw(PermissionError("ro")))
    outcome = services.fusion_job_run(job_id=str(job.id), images=_photo(faces_dir))
    assert outcome.code == "FailedOperation.ServerError"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.result_code == "FailedOperation.ServerError"
    assert job.finished_at is not None


@pytest.mark.django_db(transaction=True)  # the "worker" thread has its own connection: commit for it
def test_it_answers_a_waiter_on_the_embedded_default_without_polling(settings, alice, faces_dir, monkeypatch,
                                                                    tmp_path):
    """No Redis: the waiter listens on a FIFO and the worker writes the answer into it."""
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, rsp="url", deadline=30)
    monkeypatch.setattr(worker, "_fuse", lambda job, images, logo: (b"\x89PNG\r\n\x1a\nfused", "PNG", 5))
    ran = []
    def worker_thread() -> None:
        from django.db import connection

        ran.append(services.fusion_job_run(job_id=str(job.id), images=_photo(faces_dir)))
        connection.close()

    timer = threading.Timer(0.3, worker_thread)
    timer.start()
    started = time.monotonic()
    outcome = services.fusion_job_wait(job=job, want_image=False)
    timer.join()
    assert outcome.ok and outcome.result_name == ran[0].result_name
    assert time.monotonic() - started < 10  # answered, not timed out at the 30 s deadline
    assert not list((settings.VAR_DIR / "fusion" / "answers").glob("*.fifo"))  # the FIFO went with the wait


FORBIDDEN = [(state, action) for state, action in itertools.product(JobStatus.values, JobAction.values)
             if not JOB_TRANSITIONS.allows(state, action)]


def test_it_knows_every_forbidden_transition():
    assert ("succeeded", "start") in FORBIDDEN and ("timed_out", "succeed") in FORBIDDEN
    assert ("queued", "succeed") in FORBIDDEN and ("failed", "fail") in FORBIDDEN
    assert len(FORBIDDEN) == len(JobStatus.values) * len(JobAction.values) - len(JOB_TRANSITIONS.edges())


@pytest.mark.parametrize(("state", "action"), FORBIDDEN, ids=[f"{s}-{a}" for s, a in FORBIDDEN])
def test_it_refuses_a_forbidden_transition(alice, faces_dir, state, action):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    job = _job(alice.account, material, faces_dir, deadline=30)
    closed = state not in ("queued", "running")
    FusionJob.objects.filter(id=job.id).update(status=state, result_code="X" if closed else "",
                                               finished_at=timezone.now() if closed else None)
    assert not jobs.job_move(job.id, action, result_code="Y", finished_at=timezone.now())
    job.refresh_from_db()
    assert job.status == state and job.result_code != "Y"
