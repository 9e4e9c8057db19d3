"""The retention run (console.retention): every app's step in order, by beat, in batches; audit
events are never deleted, however far time goes."""

from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from billing.models import LedgerEntry, UsageRecord
from config.celery import app
from console.models import AuditEvent
from console.retention import retention_run
from fusion import services
from fusion.models import FusionJob, JobSource
from tests.api.conftest import approved_material
from tests.billing.conftest import make_calls


def test_it_runs_from_beat_on_a_queue_a_worker_consumes():
    entry = app.conf.beat_schedule["retention"]
    assert entry["task"] == "console.tasks.retention_run"
    app.loader.import_default_modules()
    assert app.amqp.router.route({}, entry["task"])["queue"].name == "default"


def test_it_runs_every_step_and_never_deletes_an_audit_event(alice, faces_dir, settings):
    settings.JOB_RETENTION_DAYS = 30
    settings.USAGE_RECORD_RETENTION_DAYS = 400
    settings.RETENTION_BATCH_SIZE = 2  # several batches per step
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    photos = []
    for n in range(3):
        photo = services.fusion_job_store_source(account=alice.account, data=b"\xff\xd8 photo", ext="jpg")
        job = services.fusion_job_create(
            account=alice.account, member=alice.owner, request_id=f"console-{n}", source=JobSource.CONSOLE_TEST,
            campaign_project_id=material.campaign.project_id, material_model_id=material.model_id,
            version=material.campaign.version, mappings=[services.MappingSpec(source_name=photo)],
            deadline_seconds=30)
        services.fusion_job_expire(job=job)
        photos.append(photo)
    now = timezone.now()
    charged = make_calls(alice.account, 3, now=now)
    make_calls(alice.account, 3, now=now, code="RequestLimitExceeded")
    audit = AuditEvent.objects.count()
    entries = LedgerEntry.objects.count()
    assert audit > 0

    deleted = retention_run(now=now + timedelta(days=8))
    assert deleted["fusion.services.fusion_results_purge"] == 3
    assert not any(default_storage.exists(p) for p in photos)
    deleted = retention_run(now=now + timedelta(days=3660 * 10))
    assert deleted["fusion.retention.fusion_jobs_delete"] == 3
    assert deleted["billing.retention.usage_records_delete"] == 6  # 3 not billed, 3 console runs
    assert not FusionJob.objects.exists()
    assert set(UsageRecord.objects.values_list("request_id", flat=True)) == {r.request_id for r in charged}
    assert retention_run(now=now + timedelta(days=3660 * 10)) == dict.fromkeys(settings.RETENTION_STEPS, 0)
    assert AuditEvent.objects.count() == audit
    assert LedgerEntry.objects.count() == entries


def test_it_stops_when_its_time_is_up_and_the_next_run_goes_on(alice, settings):
    settings.USAGE_RECORD_RETENTION_DAYS = 400
    settings.RETENTION_BATCH_SIZE = 1
    make_calls(alice.account, 3, now=timezone.now(), code="RequestLimitExceeded")
    later = timezone.now() + timedelta(days=401)
    first = retention_run(now=later, seconds=0)  # one batch of the first step, then out of time
    assert sum(first.values()) == 0 and len(first) == 1
    retention_run(now=later)
    assert not UsageRecord.objects.exists()
