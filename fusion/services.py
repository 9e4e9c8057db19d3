"""Writes of fusion jobs: create and enqueue, run (in the worker), wait (in the API), expire, purge."""

from __future__ import annotations

import base64
import binascii
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from console.models import Account, Member
from fusion import channel
from fusion.models import OPEN_STATUSES, FusionJob, JobSource, JobStatus

log = logging.getLogger(__name__)

SUCCESS = "Success"
REQUEST_TIMEOUT = "FailedOperation.RequestTimeout"
INNER_ERROR = "FailedOperation.InnerError"
SERVER_ERROR = "FailedOperation.ServerError"
MATERIAL_NOT_FOUND = "InvalidParameterValue.MaterialIdNotFound"
IMAGE_DECODE_FAILED = "FailedOperation.ImageDecodeFailed"

_MESSAGES = {
    SUCCESS: ("成功", "Success"),
    REQUEST_TIMEOUT: ("融合超时，请重试", "Fusion did not finish in time; retry the request"),
    INNER_ERROR: ("人脸融合内部错误，请稍后重试", "Face fusion internal error; retry later"),
    SERVER_ERROR: ("服务内部错误，请稍后重试", "Server error; retry later"),
    MATERIAL_NOT_FOUND: ("素材不存在", "The material does not exist"),
    IMAGE_DECODE_FAILED: ("图片解码失败，仅支持 JPG 和 PNG 格式", "The image could not be decoded; send a JPG or PNG"),
}


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
    result_name: str = ""
    engine_ms: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS

    def message(self, language: str) -> str:
        return self.message_en if language.startswith("en") else self.message_zh


def _default_messages(code: str) -> tuple[str, str]:
    return _MESSAGES.get(code, (code, code))


def fusion_job_create(*, account: Account, request_id: str, source: str, campaign_project_id: str,
                      material_model_id: str, version: str, mappings: list[MappingSpec],
                      label: LabelSpec | None = None, face_degree: int | None = None,
                      profile_degree: int | None = None, rsp_img_type: str = "url",
                      member: Member | None = None, deadline_seconds: float | None = None) -> FusionJob:
    """Create the job row and enqueue it on the ``fusion`` queue once the row is committed."""
    from fusion.tasks import run_fusion_job

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
    )
    # The images ride in the message: by reference would add a storage write (here) and read (worker)
    # per photo — 0.2 ms on local files, two network round trips on S3 (bench.api prints it) — and
    # the broker drops the message once it is acknowledged.
    images = [m.image_b64 for m in mappings]
    run_fusion_job.delay_on_commit(str(job.id), images, label.logo_b64)  # type: ignore[attr-defined]  # DjangoTask
    return job


# --- worker side ------------------------------------------------------------------------------

def _b64(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        from fusion.engine import ImageDecodeFailed

        raise ImageDecodeFailed("invalid base64")


def _result_name(job: FusionJob, fmt: str) -> str:
    ext = "png" if fmt == "PNG" else "jpg"
    day = timezone.now().strftime("%Y/%m/%d")
    return f"fusion/results/{day}/{job.id}.{ext}"


def _needs_stored_result(job: FusionJob) -> bool:
    return job.rsp_img_type == "url" or job.source == JobSource.CONSOLE_TEST or not channel.uses_redis()


def _fuse(job: FusionJob, images: list[str | None], logo_b64: str | None) -> tuple[bytes, str, int]:
    from fusion.engine import FaceMapping, Label, get_engine
    from materials.selectors import material_find, material_template

    material = material_find(account=job.account, model_id=job.material_model_id)
    if material is None:
        raise _JobFailure(MATERIAL_NOT_FOUND)
    template, record = material_template(material)
    mappings = []
    for spec, image in zip(job.mappings, images, strict=False):
        if image is not None:
            data = _b64(image)
        else:
            with default_storage.open(spec["source_name"], "rb") as fh:
                data = fh.read()
        rect = spec.get("source_face_rect")
        trect = spec.get("template_face_rect")
        mappings.append(FaceMapping(source=data, source_face_rect=tuple(rect) if rect else None,
                                    template_face_id=spec.get("template_face_id"),
                                    template_face_rect=tuple(trect) if trect else None))
    lab = job.label or {}
    label = Label(visible=bool(lab.get("visible", True)), logo=_b64(logo_b64) if logo_b64 else None,
                  logo_rect=tuple(lab["logo_rect"]) if lab.get("logo_rect") else None,
                  produce_id=job.request_id, propagator=settings.CONTENT_PROPAGATOR,
                  meta_key=lab.get("meta_key"), meta_value=lab.get("meta_value"))
    started = time.perf_counter()
    out = get_engine().fuse(template=template, record=record, mappings=mappings, version=job.version,
                            face_degree=job.face_degree, profile_degree=job.profile_degree, label=label)
    return out, record.format, int((time.perf_counter() - started) * 1000)


class _JobFailure(Exception):
    def __init__(self, code: str, message_zh: str = "", message_en: str = "") -> None:
        zh, en = _default_messages(code)
        self.code, self.message_zh, self.message_en = code, message_zh or zh, message_en or en
        super().__init__(code)


def fusion_job_run(*, job_id: str, images: list[str | None], logo_b64: str | None = None) -> JobOutcome | None:
    """Run a job in the worker. Idempotent: a job already finished, timed out or past its deadline
    is left alone, and of two deliveries running at once only the first to finish is kept."""
    from fusion.engine import EngineError

    now = timezone.now()
    started = FusionJob.objects.filter(id=job_id, status__in=OPEN_STATUSES, deadline_at__gt=now).update(
        status=JobStatus.RUNNING, started_at=now, attempts=F("attempts") + 1)
    if not started:
        return None
    job = FusionJob.objects.select_related("account").get(id=job_id)
    image: bytes | None = None
    engine_ms = None
    fmt = ""
    try:
        image, fmt, engine_ms = _fuse(job, images, logo_b64)
        outcome = JobOutcome(code=SUCCESS, message_zh="成功", message_en="Success", engine_ms=engine_ms)
    except EngineError as exc:
        outcome = JobOutcome(code=exc.code, message_zh=exc.message_zh, message_en=exc.message_en)
    except _JobFailure as exc:
        outcome = JobOutcome(code=exc.code, message_zh=exc.message_zh, message_en=exc.message_en)
    except Exception:
        log.exception("fusion job %s failed", job_id)
        zh, en = _default_messages(INNER_ERROR)
        outcome = JobOutcome(code=INNER_ERROR, message_zh=zh, message_en=en)

    name = ""
    if image is not None and _needs_stored_result(job):
        name = default_storage.save(_result_name(job, fmt), ContentFile(image))
    finished = timezone.now()
    with transaction.atomic():
        won = FusionJob.objects.filter(id=job_id, status=JobStatus.RUNNING).update(
            status=JobStatus.SUCCEEDED if outcome.ok else JobStatus.FAILED, result_code=outcome.code,
            result_message=outcome.message_zh[:300], result_name=name, engine_ms=engine_ms, finished_at=finished,
            expires_at=_expiry(job, finished, name))
        if won and job.source == JobSource.CONSOLE_TEST:
            _record_console_usage(job, outcome.code, finished)
    if not won:
        # The API gave up meanwhile (or another delivery finished first): its answer stands.
        if name:
            default_storage.delete(name)
        return None
    outcome.result_name = name
    answer: dict[str, Any] = {"code": outcome.code, "zh": outcome.message_zh, "en": outcome.message_en,
                              "name": name, "engine_ms": engine_ms}
    if image is not None and not name:
        answer["b64"] = base64.b64encode(image).decode("ascii")
    channel.publish(job_id, answer)
    outcome.image = image
    return outcome


def _expiry(job: FusionJob, now: datetime, name: str) -> datetime | None:
    # Console photos are kept beside the job for the page, so console jobs expire even without a result.
    if name or job.source == JobSource.CONSOLE_TEST:
        return now + timedelta(seconds=settings.FUSION_RESULT_TTL_SECONDS)
    return None


def _record_console_usage(job: FusionJob, code: str, finished: datetime) -> None:
    from billing.services import usage_record_create

    latency = int((finished - job.created_at).total_seconds() * 1000)
    usage_record_create(request_id=job.request_id, account=job.account, action="FuseFace", result_code=code,
                        billable=False, latency_ms=latency, campaign_project_id=job.campaign_project_id,
                        material_model_id=job.material_model_id, source="console_test")


# --- web side ---------------------------------------------------------------------------------

def fusion_job_expire(*, job: FusionJob, code: str = REQUEST_TIMEOUT) -> bool:
    """Close a job as timed out (or failed, with ``code``) if nobody finished it; True when this call
    closed it."""
    now = timezone.now()
    status = JobStatus.TIMED_OUT if code == REQUEST_TIMEOUT else JobStatus.FAILED
    with transaction.atomic():
        won = FusionJob.objects.filter(id=job.id, status__in=OPEN_STATUSES).update(
            status=status, result_code=code, finished_at=now,
            result_message=_default_messages(code)[0], expires_at=_expiry(job, now, ""))
        if won and job.source == JobSource.CONSOLE_TEST:
            _record_console_usage(job, code, now)
    if won:
        job.status, job.result_code, job.finished_at = status, code, now
    return bool(won)


def _outcome_from_row(job: FusionJob, *, want_image: bool) -> JobOutcome:
    zh, en = _default_messages(job.result_code)
    if job.result_message:
        zh = job.result_message
    outcome = JobOutcome(code=job.result_code or INNER_ERROR, message_zh=zh, message_en=en,
                         result_name=job.result_name, engine_ms=job.engine_ms)
    if outcome.ok and want_image:
        if not job.result_name:
            # A base64 reply over Redis travels only in the worker's answer, and that answer was lost
            # (publish failed, or the worker died right after its commit): never answer an empty image.
            zh, en = _default_messages(SERVER_ERROR)
            return JobOutcome(code=SERVER_ERROR, message_zh=zh, message_en=en, engine_ms=job.engine_ms)
        with default_storage.open(job.result_name, "rb") as fh:
            outcome.image = fh.read()
    return outcome


def _outcome_from_answer(answer: dict, *, want_image: bool) -> JobOutcome:
    outcome = JobOutcome(code=answer["code"], message_zh=answer.get("zh", ""), message_en=answer.get("en", ""),
                         result_name=answer.get("name", ""), engine_ms=answer.get("engine_ms"))
    if answer.get("b64"):
        outcome.image = base64.b64decode(answer["b64"])
    elif outcome.ok and want_image and outcome.result_name:
        with default_storage.open(outcome.result_name, "rb") as fh:
            outcome.image = fh.read()
    return outcome


def fusion_job_wait(*, job: FusionJob, want_image: bool) -> JobOutcome:
    """Wait for the job until its deadline; past it, close it as FailedOperation.RequestTimeout.

    Exactly one of this call and the worker closes the job, so the outcome returned here is
    the one the job row (and the usage ledger) keeps."""
    deadline = time.monotonic() + max((job.deadline_at - timezone.now()).total_seconds(), 0)
    if channel.uses_redis():
        try:
            answer = channel.wait(str(job.id), deadline - time.monotonic())
        except Exception:
            # Redis failed under us: close the job as a server error so that what the caller is told
            # and what the job (and the usage record) say stay the same.
            log.exception("waiting for fusion job %s failed", job.id)
            if fusion_job_expire(job=job, code=SERVER_ERROR):
                zh, en = _default_messages(SERVER_ERROR)
                return JobOutcome(code=SERVER_ERROR, message_zh=zh, message_en=en)
            job.refresh_from_db()
            return _outcome_from_row(job, want_image=want_image)
        if answer is not None:
            return _outcome_from_answer(answer, want_image=want_image)
    else:
        while True:
            job.refresh_from_db()
            if job.is_final:
                return _outcome_from_row(job, want_image=want_image)
            if not channel.sleep_poll(deadline):
                break
    if fusion_job_expire(job=job):
        zh, en = _default_messages(REQUEST_TIMEOUT)
        return JobOutcome(code=REQUEST_TIMEOUT, message_zh=zh, message_en=en)
    # The worker finished in the same instant: its answer is already on its way.
    if channel.uses_redis():
        answer = channel.wait(str(job.id), 5.0)
        if answer is not None:
            return _outcome_from_answer(answer, want_image=want_image)
    job.refresh_from_db()
    return _outcome_from_row(job, want_image=want_image)


def fusion_job_store_source(*, account: Account, data: bytes, ext: str) -> str:
    """A console upload, kept beside the job so the page can show it; purged with the result."""
    return default_storage.save(f"fusion/sources/{account.id}/{uuid.uuid4().hex}.{ext}", ContentFile(data))


def fusion_results_purge(*, now: datetime | None = None, batch: int = 500) -> int:
    """Delete stored results (and console photos) whose 7 days are over. Safe to run anywhere, twice."""
    now = now or timezone.now()
    purged = 0
    for job in FusionJob.objects.filter(expires_at__lte=now)[:batch]:
        names = [job.result_name] + [m.get("source_name") for m in job.mappings]
        if FusionJob.objects.filter(id=job.id, expires_at=job.expires_at).update(result_name="", expires_at=None):
            for name in filter(None, names):
                default_storage.delete(name)
            purged += 1
    return purged


def fusion_jobs_sweep(*, now: datetime | None = None, grace_seconds: int = 60) -> int:
    """Close jobs whose deadline passed long ago and that nobody closed (a web process died while
    waiting), so nothing stays queued or running forever."""
    now = now or timezone.now()
    closed = 0
    for job in FusionJob.objects.filter(status__in=OPEN_STATUSES,
                                        deadline_at__lt=now - timedelta(seconds=grace_seconds))[:500]:
        closed += fusion_job_expire(job=job)
    return closed


def fusion_test_run(*, account: Account, member: Member, material: Any, photos: list[tuple[bytes, str | None]],
                    face_degree: int | None = None, profile_degree: int | None = None) -> FusionJob:
    """A console test (测试效果): the same job as FuseFace, recorded as a console test and never billed."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from fusion.engine.imageio import sniff_format
    from materials.selectors import material_fuse_degrees, material_is_usable

    if material.account_id != account.id:
        raise ValidationError(_("This material does not exist."))
    if not material_is_usable(material):
        raise ValidationError(_("This material has not passed review yet; test it once it is approved."))
    if not photos or len(photos) > 3:
        raise ValidationError(_("Upload one to three photos."))
    mappings = []
    stored: list[str] = []
    try:
        for data, face_id in photos:
            fmt = sniff_format(data)
            if fmt not in ("JPEG", "PNG"):
                raise ValidationError(_("Photos must be JPG or PNG images."))
            name = fusion_job_store_source(account=account, data=data, ext="png" if fmt == "PNG" else "jpg")
            stored.append(name)
            mappings.append(MappingSpec(source_name=name, template_face_id=face_id))
        version = material.campaign.version
        face_degree, profile_degree = material_fuse_degrees(material, face_degree=face_degree,
                                                            profile_degree=profile_degree)
        with transaction.atomic():
            return fusion_job_create(account=account, member=member, request_id=str(uuid.uuid4()),
                                     source=JobSource.CONSOLE_TEST, campaign_project_id=material.campaign.project_id,
                                     material_model_id=material.model_id, version=version, mappings=mappings,
                                     face_degree=face_degree, profile_degree=profile_degree, rsp_img_type="url")
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
