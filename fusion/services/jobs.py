"""A fusion job's life on both sides: what it carries, its creation and message, and its closing.

Every status change goes through ``job_move``: an action of the job's state machine
(``fusion.models.JOB_TRANSITIONS``), made as a compare-and-swap from the states the table allows
it from, so a job in any other state is left as it is.
The API's answer, the job row and the usage record always say the same thing: whoever closes the
job decides the outcome, and everybody else reads it from the row or the worker's answer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import FUSE_FACE, FUSE_FACE_ULTRA
from console import cloud_errors as errors
from console.dbretry import reconnecting
from console.models import Account, Member
from fusion.models import JOB_TRANSITIONS, FusionJob, JobAction, JobSource, JobStatus
from observability import context

log = logging.getLogger(__name__)

SUCCESS = errors.SUCCESS
REQUEST_TIMEOUT = errors.REQUEST_TIMEOUT
INNER_ERROR = errors.INNER_ERROR
SERVER_ERROR = errors.SERVER_ERROR
MATERIAL_NOT_FOUND = errors.MATERIAL_ID_NOT_FOUND

# How long a web thread keeps trying to reach the database to close its job after its wait ended.
CLOSE_RETRY_SECONDS = 5.0


@dataclass
class MappingSpec:
    """One user face for one template face. ``image`` travels in the job message (base64 text,
    exactly as the caller sent it); ``source_name`` is a stored file (console uploads)."""

    image_b64: str | None = None
    source_name: str | None = None
    template_face_id: str | None = None
    source_face_rect: tuple[int, int, int, int] | None = None
    template_face_rect: tuple[int, int, int, int] | None = None


@dataclass
class LabelSpec:
    visible: bool = True
    logo_b64: str | None = None
    logo_rect: tuple[int, int, int, int] | None = None
    meta_key: str | None = None
    meta_value: str | None = None


@dataclass
class JobOutcome:
    code: str
    message_zh: str = ""
    message_en: str = ""
    image: bytes | None = None
    image_b64: str | None = None  # a base64 reply as the worker sent it, passed on without decoding
    result_name: str = ""
    engine_ms: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS

    def message(self, language: str) -> str:
        return self.message_en if language.startswith("en") else self.message_zh

    @classmethod
    def of(cls, code: str, **kwargs: Any) -> JobOutcome:
        zh, en = errors.message_pair(code) if code != SUCCESS else ("成功", "Success")
        return cls(code=code, message_zh=zh, message_en=en, **kwargs)


def job_move(job_id: Any, action: str, *, where: dict | None = None, **fields: Any) -> bool:
    """Does ``action`` to the job if it is in a state the table allows it from; True when this call moved it."""
    return bool(JOB_TRANSITIONS.move(FusionJob.objects.filter(id=job_id, **(where or {})), action, **fields))


def fusion_job_create(*, account: Account, request_id: str, source: str, campaign_project_id: str,
                      material_model_id: str, version: str, mappings: list[MappingSpec],
                      label: LabelSpec | None = None, face_degree: int | None = None,
                      profile_degree: int | None = None, rsp_img_type: str = "url",
                      member: Member | None = None, deadline_seconds: float | None = None,
                      action: str = FUSE_FACE, options: dict | None = None, template_b64: str | None = None,
                      template_name: str = "") -> FusionJob:
    """Create the job row and enqueue it on the ``fusion`` queue once the row is committed.

    A FuseFaceUltra job (fusion/ultra.py) carries its template: as base64 text after the photos in
    the message, or as a stored file (``template_name``) for a console test."""
    label = label or LabelSpec()
    if deadline_seconds is None:
        deadline_seconds = (settings.FUSION_JOB_DEADLINE_SECONDS if source == JobSource.API
                            else settings.FUSION_CONSOLE_JOB_DEADLINE_SECONDS)
    job = FusionJob.objects.create(
        account=account, member=member, request_id=request_id, source=source,
        campaign_project_id=campaign_project_id, material_model_id=material_model_id, version=version,
        face_degree=face_degree, profile_degree=profile_degree, rsp_img_type=rsp_img_type,
        mappings=[{"template_face_id": m.template_face_id,
                   "source_face_rect": list(m.source_face_rect) if m.source_face_rect else None,
                   "template_face_rect": list(m.template_face_rect) if m.template_face_rect else None,
                   "source_name": m.source_name or ""} for m in mappings],
        label={"visible": label.visible, "logo_rect": list(label.logo_rect) if label.logo_rect else None,
               "meta_key": label.meta_key, "meta_value": label.meta_value},
        deadline_at=timezone.now() + timedelta(seconds=deadline_seconds),
        action=action, options=options or {}, template_name=template_name,
    )
    # The images ride in the message: by reference would add a storage write (here) and read (worker)
    # per photo — 0.2 ms on local files, two network round trips on S3 (bench.api prints it) — and
    # the broker drops the message once it is acknowledged.
    images = job_images(job, mappings, template_b64)
    # The job id joins the log context, and travels with the message to the worker (observability/worker.py).
    context.bind(job_id=job.id)
    transaction.on_commit(lambda: job_enqueue(job, images, label.logo_b64))
    return job


def job_images(job: FusionJob, mappings: list[MappingSpec], template_b64: str | None = None) -> list[str | None]:
    """The job message's images: the photos as the caller sent them, then a FuseFaceUltra job's template
    (the waiter passes the same list on when it hands the job to another worker)."""
    images = [m.image_b64 for m in mappings]
    if job.action == FUSE_FACE_ULTRA:
        images.append(template_b64)
    return images


def job_enqueue(job: FusionJob, images: list[str | None], logo_b64: str | None) -> None:
    """Publishes the job's message, retrying while the broker is unreachable (a Redis restart) as long
    as the job could still finish; past that the job is closed as a server error, and the caller told so."""
    from fusion.tasks import run_fusion_job

    deadline = job.deadline_at.timestamp()
    give_up = min(deadline - 1.0, time.time() + 10.0)
    while True:
        try:
            run_fusion_job.apply_async(args=(str(job.id), images, logo_b64, deadline))
            return
        except Exception as exc:  # kombu's OperationalError, redis' ConnectionError...
            if time.time() + 0.25 > give_up:
                log.error("could not enqueue fusion job %s: %s; closing it", job.id, exc)
                reconnecting(lambda: fusion_job_expire(job=job, code=SERVER_ERROR), seconds=CLOSE_RETRY_SECONDS)
                return
            log.warning("enqueueing fusion job %s failed (%s); retrying", job.id, exc)
            time.sleep(0.25)


def fusion_job_expire(*, job: FusionJob, code: str = REQUEST_TIMEOUT) -> bool:
    """Close a job as timed out (or failed, with ``code``) if nobody finished it; True when this call
    closed it."""
    now = timezone.now()
    action = JobAction.EXPIRE if code == REQUEST_TIMEOUT else JobAction.FAIL
    status = JobStatus.TIMED_OUT if code == REQUEST_TIMEOUT else JobStatus.FAILED
    with transaction.atomic():
        won = job_move(job.id, action, result_code=code, finished_at=now,
                    result_message=errors.message_pair(code)[0][:300], expires_at=result_expiry(job, now, ""))
        if won and job.source == JobSource.CONSOLE_TEST:
            record_console_usage(job, code, now)
    if won:
        job.status, job.result_code, job.finished_at = status, code, now
    return won


def result_ttl_seconds(job: FusionJob) -> int:
    """How long a stored result (and its signed link) lives: 7 days, FuseFaceUltra's 1 day."""
    return (settings.FUSION_ULTRA_RESULT_TTL_SECONDS if job.action == FUSE_FACE_ULTRA
            else settings.FUSION_RESULT_TTL_SECONDS)


def result_expiry(job: FusionJob, now: datetime, name: str) -> datetime | None:
    # Console photos are kept beside the job for the page, so console jobs expire even without a result.
    if name or job.source == JobSource.CONSOLE_TEST:
        return now + timedelta(seconds=result_ttl_seconds(job))
    return None


def record_console_usage(job: FusionJob, code: str, finished: datetime) -> None:
    from billing.services import usage_record_create

    latency = int((finished - job.created_at).total_seconds() * 1000)
    usage_record_create(request_id=job.request_id, account=job.account, action=job.action, result_code=code,
                        billable=False, latency_ms=latency, campaign_project_id=job.campaign_project_id,
                        material_model_id=job.material_model_id, source="console_test")


def record_abandoned_api_usage(job: FusionJob, code: str, finished: datetime) -> None:
    """An API job closed by the sweeper: the web process that took the call could not record it
    (it died, or the database was down past its wait), so its usage record says what the job says."""
    from billing.services import usage_record_create

    latency = int((finished - job.created_at).total_seconds() * 1000)
    usage_record_create(request_id=job.request_id, account=job.account, action=job.action, result_code=code,
                        billable=errors.is_billable(code), latency_ms=latency,
                        campaign_project_id=job.campaign_project_id, material_model_id=job.material_model_id,
                        source="api")
