"""Writes of fusion jobs: create and enqueue, run (in the worker), wait (in the API), expire, purge.

Every status change goes through ``_move``: an action of the job's state machine
(``fusion.models.JOB_TRANSITIONS``), made as a compare-and-swap from the states the table allows
it from, so a job in any other state is left as it is.
The API's answer, the job row and the usage record always say the same thing: whoever closes the
job decides the outcome, and everybody else reads it from the row or the worker's answer.
"""

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

from billing.models import FUSE_FACE, FUSE_FACE_ULTRA
from console import cloud_errors as errors
from console.dbretry import DISCONNECTED, reconnecting
from console.models import Account, Member
from fusion import channel
from fusion.models import JOB_TRANSITIONS, OPEN_STATUSES, FusionJob, JobAction, JobSource, JobStatus
from observability import context, metrics

log = logging.getLogger(__name__)

SUCCESS = errors.SUCCESS
REQUEST_TIMEOUT = errors.REQUEST_TIMEOUT
INNER_ERROR = errors.INNER_ERROR
SERVER_ERROR = errors.SERVER_ERROR
MATERIAL_NOT_FOUND = errors.MATERIAL_ID_NOT_FOUND

# How long a web thread keeps trying to reach the database to close its job after its wait ended.
CLOSE_RETRY_SECONDS = 5.0
# How often a waiter whose answer may have been lost (Redis failed, a worker died) looks at the job row.
SLICE_SECONDS = 0.5
# A worker whose liveness key stayed missing this long is dead (its key lives 3 s, refreshed every 1 s).
DEAD_AFTER_SECONDS = 1.5


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


def _move(job_id: Any, action: str, *, where: dict | None = None, **fields: Any) -> bool:
    """Does ``action`` to the job if it is in a state the table allows it from; True when this call moved it."""
    sources = JOB_TRANSITIONS.sources(action)
    (target,) = {JOB_TRANSITIONS.target(state, action) for state in sources}
    return bool(FusionJob.objects.filter(id=job_id, status__in=sources, **(where or {})).update(status=target,
                                                                                                **fields))


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
    transaction.on_commit(lambda: _enqueue(job, images, label.logo_b64))
    return job


def job_images(job: FusionJob, mappings: list[MappingSpec], template_b64: str | None = None) -> list[str | None]:
    """The job message's images: the photos as the caller sent them, then a FuseFaceUltra job's template
    (the waiter passes the same list on when it hands the job to another worker)."""
    images = [m.image_b64 for m in mappings]
    if job.action == FUSE_FACE_ULTRA:
        images.append(template_b64)
    return images


def _enqueue(job: FusionJob, images: list[str | None], logo_b64: str | None) -> None:
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


def job_label(job: FusionJob, logo_b64: str | None) -> Any:
    """The engine's labels for the job's result: the visible one as asked, the implicit one always."""
    from fusion.engine import Label

    lab = job.label or {}
    return Label(visible=bool(lab.get("visible", True)), logo=_b64(logo_b64) if logo_b64 else None,
                 logo_rect=tuple(lab["logo_rect"]) if lab.get("logo_rect") else None,
                 produce_id=job.request_id, propagator=settings.CONTENT_PROPAGATOR,
                 meta_key=lab.get("meta_key"), meta_value=lab.get("meta_value"))


def job_source_bytes(spec: dict, image: str | None) -> bytes:
    """A mapping's photo: from the message, or the stored console upload."""
    if image is not None:
        return _b64(image)
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
    if not _move(job_id, JobAction.START, where={"deadline_at__gt": now}, started_at=now,
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
            won = _move(job_id, action, where={"status": JobStatus.RUNNING}, result_code=outcome.code,
                        result_message=outcome.message_zh[:300], result_name=outcome.result_name,
                        engine_ms=outcome.engine_ms, finished_at=finished,
                        expires_at=_expiry(job, finished, outcome.result_name))
            if won and job.source == JobSource.CONSOLE_TEST:
                _record_console_usage(job, outcome.code, finished)
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


def result_ttl_seconds(job: FusionJob) -> int:
    """How long a stored result (and its signed link) lives: 7 days, FuseFaceUltra's 1 day."""
    return (settings.FUSION_ULTRA_RESULT_TTL_SECONDS if job.action == FUSE_FACE_ULTRA
            else settings.FUSION_RESULT_TTL_SECONDS)


def _expiry(job: FusionJob, now: datetime, name: str) -> datetime | None:
    # Console photos are kept beside the job for the page, so console jobs expire even without a result.
    if name or job.source == JobSource.CONSOLE_TEST:
        return now + timedelta(seconds=result_ttl_seconds(job))
    return None


def _record_console_usage(job: FusionJob, code: str, finished: datetime) -> None:
    from billing.services import usage_record_create

    latency = int((finished - job.created_at).total_seconds() * 1000)
    usage_record_create(request_id=job.request_id, account=job.account, action=job.action, result_code=code,
                        billable=False, latency_ms=latency, campaign_project_id=job.campaign_project_id,
                        material_model_id=job.material_model_id, source="console_test")


def _record_abandoned_api_usage(job: FusionJob, code: str, finished: datetime) -> None:
    """An API job closed by the sweeper: the web process that took the call could not record it
    (it died, or the database was down past its wait), so its usage record says what the job says."""
    from billing.services import usage_record_create

    latency = int((finished - job.created_at).total_seconds() * 1000)
    usage_record_create(request_id=job.request_id, account=job.account, action=job.action, result_code=code,
                        billable=errors.is_billable(code), latency_ms=latency,
                        campaign_project_id=job.campaign_project_id, material_model_id=job.material_model_id,
                        source="api")


# --- web side ---------------------------------------------------------------------------------

def fusion_job_expire(*, job: FusionJob, code: str = REQUEST_TIMEOUT) -> bool:
    """Close a job as timed out (or failed, with ``code``) if nobody finished it; True when this call
    closed it."""
    now = timezone.now()
    action = JobAction.EXPIRE if code == REQUEST_TIMEOUT else JobAction.FAIL
    status = JobStatus.TIMED_OUT if code == REQUEST_TIMEOUT else JobStatus.FAILED
    with transaction.atomic():
        won = _move(job.id, action, result_code=code, finished_at=now,
                    result_message=errors.message_pair(code)[0][:300], expires_at=_expiry(job, now, ""))
        if won and job.source == JobSource.CONSOLE_TEST:
            _record_console_usage(job, code, now)
    if won:
        job.status, job.result_code, job.finished_at = status, code, now
    return won


def _result_lost(job: FusionJob) -> bool:
    """A succeeded base64 job whose image reached neither the caller nor storage: say so, in the row too."""
    return _move(job.id, JobAction.LOSE_RESULT, where={"result_name": ""},
                 result_code=SERVER_ERROR, result_message=errors.message_pair(SERVER_ERROR)[0][:300])


def _outcome_from_row(job: FusionJob, *, want_image: bool, last_look: bool) -> JobOutcome | None:
    """The closed job's outcome, or None while a succeeded base64 result may still be on its way
    (``last_look`` then declares it lost)."""
    job.refresh_from_db()
    if not job.is_final:
        return None
    outcome = JobOutcome.of(job.result_code or INNER_ERROR, result_name=job.result_name, engine_ms=job.engine_ms)
    if job.result_message and not outcome.ok:
        outcome.message_zh = job.result_message
    if outcome.ok and want_image:
        if not job.result_name:
            if not last_look:
                return None
            if _result_lost(job):
                log.error("the base64 result of fusion job %s was lost before delivery", job.id)
                return JobOutcome.of(SERVER_ERROR)
            return _outcome_from_row(job, want_image=want_image, last_look=last_look)
        with default_storage.open(job.result_name, "rb") as fh:
            outcome.image = fh.read()
    return outcome


def _outcome_from_answer(answer: dict, *, want_image: bool) -> JobOutcome:
    outcome = JobOutcome(code=answer["code"], message_zh=answer.get("zh", ""), message_en=answer.get("en", ""),
                         result_name=answer.get("name", ""), engine_ms=answer.get("engine_ms"))
    if answer.get("b64"):
        outcome.image_b64 = answer["b64"]
    elif outcome.ok and want_image and outcome.result_name:
        with default_storage.open(outcome.result_name, "rb") as fh:
            outcome.image = fh.read()
    return outcome


class _Watch:
    """Follows which worker holds the job; when that worker dies, hands the job to another one
    once, and closes it at once the second time."""

    def __init__(self, job: FusionJob, images: list[str | None] | None, logo_b64: str | None) -> None:
        self.job, self.logo_b64 = job, logo_b64
        # A console test's photos are stored files: its message carries no images.
        self.images: list[str | None] = images if images is not None else [None for _ in job.mappings]
        self.owner: str | None = None
        self.missing_since: float | None = None
        self.redelivered = False
        self.succeeded_seen_at: float | None = None

    def result_gone(self) -> bool:
        """A holder died after the job was handed on and the row says succeeded without the image: it
        died between closing the job and delivering the image. Given a second for a live worker's
        answer (the one that took the redelivery may have just closed it), the image is gone."""
        if not self.redelivered or self.job.status != JobStatus.SUCCEEDED or self.job.result_name:
            self.succeeded_seen_at = None
            return False
        now = time.monotonic()
        if self.succeeded_seen_at is None:
            self.succeeded_seen_at = now
        return now - self.succeeded_seen_at >= 1.0

    def received_by(self, worker: str) -> None:
        self.owner, self.missing_since = worker, None

    def owner_died(self) -> bool:
        from console.workers import worker_alive

        if self.owner is None:
            return False
        if worker_alive(self.owner):
            self.missing_since = None
            return False
        now = time.monotonic()
        if self.missing_since is None:
            self.missing_since = now
        return now - self.missing_since >= DEAD_AFTER_SECONDS

    def take_over(self) -> None:
        """The owner died: hand the job to another worker, or the second time close it (the waiter
        reads the row next)."""
        log.error("worker %s died holding fusion job %s", self.owner, self.job.id)
        self.owner = self.missing_since = None
        if not self.redelivered:
            self.redelivered = True
            _enqueue(self.job, self.images, self.logo_b64)
            return
        reconnecting(lambda: fusion_job_expire(job=self.job, code=SERVER_ERROR), seconds=CLOSE_RETRY_SECONDS)


def fusion_job_wait(*, job: FusionJob, want_image: bool, images: list[str | None] | None = None,
                    logo_b64: str | None = None) -> JobOutcome:
    """Wait for the job until its deadline; past it, close it as FailedOperation.RequestTimeout.

    Exactly one of this call and the worker closes the job, so the outcome returned here is the one
    the job row (and the usage record) keeps. ``images``/``logo_b64`` are the job's message, kept to
    hand the job to another worker when the one holding it dies."""
    outcome = _wait(job, want_image, images, logo_b64)
    # End to end, as the caller sees it: from the job's creation to the outcome handed back.
    metrics.fusion_observe(action=job.action, code=outcome.code,
                           seconds=max((timezone.now() - job.created_at).total_seconds(), 0.0))
    return outcome


def _wait(job: FusionJob, want_image: bool, images: list[str | None] | None, logo_b64: str | None) -> JobOutcome:
    deadline = time.monotonic() + max((job.deadline_at - timezone.now()).total_seconds(), 0)
    watch = _Watch(job, images, logo_b64)
    # Without Redis the FIFO carries every answer; with it, the row is read only once something went
    # wrong (Redis failed under us, a worker died), since an answer may then have been lost.
    read_row = not channel.uses_redis()
    with channel.Waiter(str(job.id)) as waiter:
        # Closed already (its message could not be published); without Redis, maybe answered before
        # the FIFO existed.
        if (read_row or job.is_final) and (outcome := _row_outcome(job, want_image)) is not None:
            return outcome
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = waiter.next(min(remaining, SLICE_SECONDS if read_row else 1.0))
            except channel.ChannelDown as exc:
                if not read_row:
                    log.warning("waiting for fusion job %s on Redis failed (%s); following its row", job.id, exc)
                read_row, event = True, None
                time.sleep(min(max(remaining, 0), 0.1))
            if event is not None and event.get("event") == channel.RECEIVED:
                watch.received_by(event["worker"])
                continue
            if event is not None:
                return _outcome_from_answer(event, want_image=want_image)
            try:
                if watch.owner_died():
                    read_row = True
                    watch.take_over()
            except Exception as exc:  # Redis (or the database) down: liveness unknown, keep waiting
                if not read_row:
                    log.warning("cannot tell whether the worker holding fusion job %s lives: %s", job.id, exc)
                read_row = True
            if read_row and (outcome := _row_outcome(job, want_image, watch.result_gone())) is not None:
                return outcome
    return _close_at_deadline(job, want_image)


def _row_outcome(job: FusionJob, want_image: bool, last_look: bool = False) -> JobOutcome | None:
    try:
        return reconnecting(lambda: _outcome_from_row(job, want_image=want_image, last_look=last_look), seconds=1.0)
    except DISCONNECTED:
        return None  # the database is down too: keep waiting on what still works


def _close_at_deadline(job: FusionJob, want_image: bool) -> JobOutcome:
    try:
        closed = reconnecting(lambda: fusion_job_expire(job=job), seconds=CLOSE_RETRY_SECONDS)
    except DISCONNECTED:
        # The job stays open: the sweeper closes it with this same code and records its usage.
        log.error("could not close fusion job %s: the database is unreachable", job.id)
        return JobOutcome.of(SERVER_ERROR)
    if closed:
        return JobOutcome.of(REQUEST_TIMEOUT)
    # The worker finished in the same instant: its answer is on its way, or in the row.
    if channel.uses_redis():
        try:
            with channel.Waiter(str(job.id)) as waiter:
                event = waiter.next(2.0)
                while event is not None and event.get("event") == channel.RECEIVED:
                    event = waiter.next(2.0)
            if event is not None:
                return _outcome_from_answer(event, want_image=want_image)
        except channel.ChannelDown:
            pass
    outcome = reconnecting(lambda: _outcome_from_row(job, want_image=want_image, last_look=True),
                           seconds=CLOSE_RETRY_SECONDS)
    assert outcome is not None  # the job is closed: expiring it failed
    return outcome


def fusion_job_store_source(*, account: Account, data: bytes, ext: str) -> str:
    """A console upload, kept beside the job so the page can show it; purged with the result."""
    return default_storage.save(f"fusion/sources/{account.id}/{uuid.uuid4().hex}.{ext}", ContentFile(data))


def fusion_results_purge(*, now: datetime | None = None, batch: int = 500) -> int:
    """Delete stored results (and console photos) whose 7 days are over. Safe to run anywhere, twice."""
    now = now or timezone.now()
    purged = 0
    for job in FusionJob.objects.filter(expires_at__lte=now)[:batch]:
        names = [job.result_name, job.template_name] + [m.get("source_name") for m in job.mappings]
        if FusionJob.objects.filter(id=job.id, expires_at=job.expires_at).update(result_name="", template_name="",
                                                                                  expires_at=None):
            for name in filter(None, names):
                default_storage.delete(name)
            purged += 1
    return purged


def fusion_jobs_sweep(*, now: datetime | None = None, grace_seconds: int = 60) -> int:
    """Close jobs whose deadline passed long ago and that nobody closed (a web process died while
    waiting, or could not reach the database), so nothing stays queued or running forever. They close
    as FailedOperation.ServerError — what a web process answers when it cannot close its job — and
    an API job without a usage record gets one saying the same."""
    now = now or timezone.now()
    closed = 0
    for job in FusionJob.objects.filter(status__in=OPEN_STATUSES,
                                        deadline_at__lt=now - timedelta(seconds=grace_seconds))[:500]:
        with transaction.atomic():
            if fusion_job_expire(job=job, code=SERVER_ERROR):
                closed += 1
                if job.source == JobSource.API:
                    _record_abandoned_api_usage(job, SERVER_ERROR, job.finished_at or now)
    if closed:
        log.warning("closed %d fusion jobs nobody closed", closed)
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
