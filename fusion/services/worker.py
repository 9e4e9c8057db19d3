"""The worker's side of a fusion job: fuse, store the result, close the job, answer the waiter."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from billing.models import FUSE_FACE_ULTRA
from console.dbretry import DISCONNECTED
from fusion import channel
from fusion.models import FusionJob, JobAction, JobSource, JobStatus
from fusion.services.jobs import (
    INNER_ERROR,
    MATERIAL_NOT_FOUND,
    SERVER_ERROR,
    SUCCESS,
    JobOutcome,
    job_move,
    record_console_usage,
    result_expiry,
    result_ttl_seconds,
)
from observability import context, metrics

log = logging.getLogger(__name__)


def decode_b64(data: str) -> bytes:
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


def job_label(job: FusionJob, logo_b64: str | None) -> Any:
    """The engine's labels for the job's result: the visible one as asked, the implicit one always."""
    from fusion.engine import Label

    lab = job.label or {}
    return Label(visible=bool(lab.get("visible", True)), logo=decode_b64(logo_b64) if logo_b64 else None,
                 logo_rect=tuple(lab["logo_rect"]) if lab.get("logo_rect") else None,
                 produce_id=job.request_id, propagator=settings.CONTENT_PROPAGATOR,
                 meta_key=lab.get("meta_key"), meta_value=lab.get("meta_value"))


def job_source_bytes(spec: dict, image: str | None) -> bytes:
    """A mapping's photo: from the message, or the stored console upload."""
    if image is not None:
        return decode_b64(image)
    with default_storage.open(spec["source_name"], "rb") as fh:
        return fh.read()


def _fuse(job: FusionJob, images: list[str | None], logo_b64: str | None) -> tuple[bytes, str, int]:
    from fusion.engine import FaceMapping, get_engine
    from materials.selectors import material_find, material_template

    if job.action == FUSE_FACE_ULTRA:
        from fusion.ultra import fuse_ultra_job

        return fuse_ultra_job(job, images, logo_b64)
    material = material_find(account=job.account, model_id=job.material_model_id)
    if material is None:
        raise _JobFailure(MATERIAL_NOT_FOUND)
    template, record = material_template(material)
    mappings = []
    for spec, image in zip(job.mappings, images, strict=False):
        data = job_source_bytes(spec, image)
        rect = spec.get("source_face_rect")
        trect = spec.get("template_face_rect")
        mappings.append(FaceMapping(source=data, source_face_rect=tuple(rect) if rect else None,
                                    template_face_id=spec.get("template_face_id"),
                                    template_face_rect=tuple(trect) if trect else None))
    label = job_label(job, logo_b64)
    started = time.perf_counter()
    out = get_engine().fuse(template=template, record=record, mappings=mappings, version=job.version,
                            face_degree=job.face_degree, profile_degree=job.profile_degree, label=label)
    return out, record.format, int((time.perf_counter() - started) * 1000)


class _JobFailure(Exception):
    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def _store(job: FusionJob, image: bytes, fmt: str) -> str:
    return default_storage.save(_result_name(job, fmt), ContentFile(image))


def _compute(job: FusionJob, images: list[str | None], logo_b64: str | None) -> JobOutcome:
    """The job's outcome. Every failure becomes a typed outcome, storage included, except the
    database being unreachable: that one propagates, so the message is retried and not acked."""
    from fusion.engine import EngineError

    try:
        image, fmt, engine_ms = _fuse(job, images, logo_b64)
    except DISCONNECTED:
        raise
    except EngineError as exc:
        return JobOutcome(code=exc.code, message_zh=exc.message_zh, message_en=exc.message_en)
    except _JobFailure as exc:
        return JobOutcome.of(exc.code)
    except Exception:
        log.exception("fusion job %s failed", job.id)
        return JobOutcome.of(INNER_ERROR)
    outcome = JobOutcome.of(SUCCESS, image=image, engine_ms=engine_ms)
    if _needs_stored_result(job):
        try:
            outcome.result_name = _store(job, image, fmt)
        except Exception:
            log.exception("storing the result of fusion job %s failed", job.id)
            return JobOutcome.of(SERVER_ERROR, engine_ms=engine_ms)
    outcome.extra["format"] = fmt
    return outcome


def fusion_job_run(*, job_id: str, images: list[str | None], logo_b64: str | None = None) -> JobOutcome | None:
    """Run a job in the worker. Idempotent: a job already finished, timed out or past its deadline
    is left alone, and of two deliveries running at once only the first to finish is kept.

    Raises the database's connection errors (``console.dbretry.DISCONNECTED``) untouched: the task
    then retries the message instead of acknowledging a job it could not start or close."""
    now = timezone.now()
    if not job_move(job_id, JobAction.START, where={"deadline_at__gt": now}, started_at=now,
                 attempts=F("attempts") + 1):
        return None
    job = FusionJob.objects.select_related("account").get(id=job_id)
    context.bind(job_id=job.id, request_id=job.request_id, app_id=job.account.app_id)
    with metrics.FUSION_JOBS_RUNNING.track_inprogress():
        outcome = _compute(job, images, logo_b64)
    finished = timezone.now()
    try:
        with transaction.atomic():
            action = JobAction.SUCCEED if outcome.ok else JobAction.FAIL
            won = job_move(job_id, action, where={"status": JobStatus.RUNNING}, result_code=outcome.code,
                        result_message=outcome.message_zh[:300], result_name=outcome.result_name,
                        engine_ms=outcome.engine_ms, finished_at=finished,
                        expires_at=result_expiry(job, finished, outcome.result_name))
            if won and job.source == JobSource.CONSOLE_TEST:
                record_console_usage(job, outcome.code, finished)
    except BaseException:
        _discard(outcome.result_name)  # the retry computes (and stores) it again
        raise
    if not won:
        # The API gave up meanwhile (or another delivery finished first): its answer stands.
        _discard(outcome.result_name)
        log.info("fusion job %s finished too late (%s): the job was already closed", job.id, outcome.code)
        return None
    if outcome.engine_ms is not None:
        metrics.fusion_engine_observe(action=job.action, seconds=outcome.engine_ms / 1000)
    log.info("fusion job %s finished: %s, engine %s ms", job.id, outcome.code, outcome.engine_ms)
    _answer(job, outcome)
    return outcome


def _discard(name: str) -> None:
    if name:
        default_storage.delete(name)


def _answer(job: FusionJob, outcome: JobOutcome) -> None:
    """Hands the closed job's outcome to the waiting web process. When the answers channel is down,
    a base64 result is stored instead, where the waiter looks once its own wait on the channel fails."""
    answer: dict[str, Any] = {"event": channel.ANSWER, "code": outcome.code, "zh": outcome.message_zh,
                              "en": outcome.message_en, "name": outcome.result_name, "engine_ms": outcome.engine_ms}
    if outcome.image is not None and not outcome.result_name:
        answer["b64"] = base64.b64encode(outcome.image).decode("ascii")
    try:
        channel.publish(str(job.id), answer)
        return
    except channel.ChannelDown as exc:
        log.warning("answer of fusion job %s not delivered (%s)", job.id, exc)
    if outcome.image is None or "b64" not in answer:
        return  # the job row holds all of it
    try:
        name = _store(job, outcome.image, outcome.extra.get("format", "PNG"))
    except Exception:
        log.exception("storing the undelivered result of fusion job %s failed", job.id)
        return
    now = timezone.now()
    # Not a status change: the succeeded row gets the copy unless the waiter declared the result lost.
    kept = FusionJob.objects.filter(id=job.id, status=JobStatus.SUCCEEDED, result_name="").update(
        result_name=name, expires_at=now + timedelta(seconds=result_ttl_seconds(job)))
    if not kept:
        _discard(name)
