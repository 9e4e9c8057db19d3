"""The worker's side of a video job: run a segment, finish the job (join, store, upload, meter)."""

from __future__ import annotations

import hashlib
import logging
import math
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from materials.models import Material
from video.models import (
    VideoJob,
    VideoJobAction,
    VideoJobSource,
    VideoJobStatus,
    VideoSegment,
)
from video.services.jobs import (
    ACTION,
    HEARTBEAT_SECONDS,
    MATERIAL_NOT_FOUND,
    SUCCESS,
    enqueue_finish,
    error_messages,
    job_move,
    worker_name,
)

log = logging.getLogger(__name__)


class _Failure(Exception):
    def __init__(self, code: str, zh: str = "", en: str = "") -> None:
        dzh, den = error_messages(code)
        self.code, self.zh, self.en = code, zh or dzh, en or den
        super().__init__(code)


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def _engine_job(job: VideoJob, material: Material, template: Path):
    from fusion.engine import Label
    from fusion.engine import video as engine_video
    from fusion.engine.videofuse import Job
    from materials.video import material_track

    lab = job.label or {}
    label = Label(visible=bool(lab.get("visible", True)), logo_rect=tuple(lab["logo_rect"]) if lab.get("logo_rect")
                  else None, produce_id=job.request_id, propagator=settings.CONTENT_PROPAGATOR,
                  meta_key=lab.get("meta_key"), meta_value=lab.get("meta_value"))
    return Job(template=template, track=material_track(material),
               info=engine_video.VideoInfo.from_json(material.video_info or {}), photo=_read(job.photo_name),
               photo_rect=tuple(job.photo_rect) if job.photo_rect else None, label=label,
               logo=_read(job.logo_name) if job.logo_name else None)


def _material(job: VideoJob) -> Material:
    from materials.selectors import material_find

    material = material_find(account=job.account, model_id=job.material_model_id)
    if material is None or not material.is_video or not material.track:
        raise _Failure(MATERIAL_NOT_FOUND)
    return material


def video_segment_run(*, job_id: str, index: int) -> bool:
    """Fuse one segment in this worker. Idempotent: a closed job, or a segment already done, is left
    alone; of two deliveries running at once, the first to finish is kept. True when it stored one."""
    from fusion.engine import EngineError
    from fusion.engine.videofuse import fuse_segment
    from materials.video import stored_video

    now = timezone.now()
    if not job_move(job_id, VideoJobAction.START, heartbeat_at=now):
        return False
    VideoJob.objects.filter(id=job_id, started_at__isnull=True).update(started_at=now)
    segment = VideoSegment.objects.filter(job__id=job_id, index=index).first()
    if segment is None or segment.done_at is not None:
        _finish_if_complete(job_id)
        return False
    job = VideoJob.objects.select_related("account").get(id=job_id)
    last_beat = [time.monotonic()]

    def beat(_frame: int) -> None:
        if time.monotonic() - last_beat[0] >= HEARTBEAT_SECONDS:
            last_beat[0] = time.monotonic()
            VideoJob.objects.filter(id=job_id, status=VideoJobStatus.PROCESSING).update(heartbeat_at=timezone.now())

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ronghe-seg-")))
        try:
            material = _material(job)
            template = stack.enter_context(stored_video(material.video.name or ""))
            stats = fuse_segment(_engine_job(job, material, template), segment.start, segment.stop,
                                 tmp / "seg.mp4", on_frame=beat)
        except EngineError as exc:
            job_fail(job, exc.code, exc.message_zh, exc.message_en)
            return False
        except _Failure as exc:
            job_fail(job, exc.code, exc.zh, exc.en)
            return False
        with (tmp / "seg.mp4").open("rb") as fh:
            name = default_storage.save(f"video/segments/{job.job_id}/{index:05d}-{uuid.uuid4().hex[:8]}.mp4",
                                        File(fh))
    won = VideoSegment.objects.filter(id=segment.id, done_at__isnull=True).update(
        name=name, done_at=timezone.now(), worker=worker_name(), engine_seconds=stats.seconds)
    if not won:
        default_storage.delete(name)
        return False
    VideoJob.objects.filter(id=job_id).update(heartbeat_at=timezone.now())
    _finish_if_complete(job_id)
    return True


def _finish_if_complete(job_id: Any) -> None:
    if not VideoSegment.objects.filter(job_id=job_id, done_at__isnull=True).exists():
        enqueue_finish(job_id)


def job_fail(job: VideoJob, code: str, zh: str, en: str) -> bool:
    """Close the job as failed (nothing is billed: no video came out). True when this call closed it."""
    now = timezone.now()
    with transaction.atomic():
        won = job_move(job.id, VideoJobAction.FAIL, error_code=code, error_message=(zh or code)[:300],
                    error_message_en=(en or code)[:300],
                    finished_at=now, expires_at=now + timedelta(seconds=settings.FUSION_RESULT_TTL_SECONDS))
        if won:
            _meter(job, code, seconds=0, now=now)
    if won:
        transaction.on_commit(lambda: discard_segments(job.id))
    return bool(won)


def _result_name(job: VideoJob) -> str:
    return f"video/results/{timezone.now():%Y/%m/%d}/{job.job_id}.mp4"


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def video_job_finish(*, job_id: str) -> bool:
    """Join the segments with the template's audio and the labels, store the result, upload it to
    the caller's URL when asked, and close the job with its seconds metered, in one transaction.
    Idempotent: a closed job is left alone; of two finishes, one closes the job, the other discards
    its copy. True when this call closed it."""
    from fusion.engine import video as engine_video
    from materials.video import stored_video

    job = VideoJob.objects.select_related("account").filter(id=job_id).first()
    if job is None or job.status != VideoJobStatus.PROCESSING:
        return False
    segments = list(job.segments.order_by("index"))
    if any(s.done_at is None for s in segments):
        return False
    name = ""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ronghe-join-")))
        try:
            material = _material(job)
            template = stack.enter_context(stored_video(material.video.name or ""))
            parts: list[Path | str] = []
            for seg in segments:
                local = tmp / f"{seg.index:05d}.mp4"
                local.write_bytes(_read(seg.name))
                parts.append(local)
            out = tmp / "out.mp4"
            info = engine_video.join(parts, out, template=template, label=_engine_job(job, material, template).label)
        except _Failure as exc:
            return job_fail(job, exc.code, exc.zh, exc.en)
        md5 = _md5(out)
        with out.open("rb") as fh:
            name = default_storage.save(_result_name(job), File(fh))
        upload = ""
        if job.user_designated_url:
            upload = "uploaded" if _upload(job, out) else "failed"
    seconds = math.ceil(info.duration - 1e-6)
    now = timezone.now()
    result = {"Width": info.width, "Height": info.height, "FPS": round(float(info.fps)),
              "DurationInSec": info.duration, "Frame": info.frames}
    engine_seconds = sum(s.engine_seconds or 0.0 for s in segments)
    with transaction.atomic():
        won = job_move(job.id, VideoJobAction.SUCCEED, where={"status": VideoJobStatus.PROCESSING}, result_name=name,
                    result_md5=md5, result_info=result, designated_upload=upload, billed_seconds=seconds,
                    engine_seconds=engine_seconds, finished_at=now, error_code="", error_message="",
                    error_message_en="", expires_at=now + timedelta(seconds=settings.FUSION_RESULT_TTL_SECONDS))
        if won:
            _meter(job, SUCCESS, seconds=seconds, now=now)
    if not won:
        default_storage.delete(name)
        return False
    transaction.on_commit(lambda: discard_segments(job.id))
    return True


def _upload(job: VideoJob, path: Path) -> bool:
    """PUT the result to the caller's presigned URL with the SSRF rules of image URLs (the API's
    fetcher, composed in settings.VIDEO_RESULT_UPLOADER). A failure keeps the result in our storage."""
    uploader = import_string(settings.VIDEO_RESULT_UPLOADER)
    try:
        return bool(uploader(job.user_designated_url, path, content_type="video/mp4"))
    except Exception as exc:  # a refused or unreachable URL: the cloud's rule is to fall back to ours
        log.warning("video job %s: upload to the caller's URL failed: %s", job.job_id, exc)
        return False


def _meter(job: VideoJob, code: str, *, seconds: int, now: datetime) -> None:
    """The job's usage record, keyed by its JobId: output seconds, billable only when it succeeded and
    came through the API (console test runs are never billed)."""
    from billing.services import usage_record_create

    usage_record_create(request_id=f"video:{job.job_id}", account=job.account, action=ACTION, result_code=code,
                        billable=code == SUCCESS and job.source == VideoJobSource.API,
                        latency_ms=int((now - job.created_at).total_seconds() * 1000), units=max(seconds, 0),
                        product="video", campaign_project_id=job.campaign_project_id,
                        material_model_id=job.material_model_id,
                        source="api" if job.source == VideoJobSource.API else "console_test", now=now)


def discard_segments(job_pk: Any) -> None:
    for seg in VideoSegment.objects.filter(job_id=job_pk).exclude(name=""):
        try:
            default_storage.delete(seg.name)
        except OSError:
            log.warning("could not delete segment %s", seg.name)
    VideoSegment.objects.filter(job_id=job_pk).update(name="")
