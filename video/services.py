"""Writes of video fusion jobs (docs/state-machines.md#video-fusion-job): submit, run a segment,
finish (join, store, upload, meter), sweep, purge.

A job is cut into segments of frames (``VIDEO_SEGMENT_FRAMES``); each is a task on the ``video``
queue that any worker process may take, so one job runs on as many cores as the queue has. A
finished segment is stored and marked done once; the last one to finish enqueues the job's finish.
Resuming is therefore by construction: a killed worker's segment is delivered again (acks_late,
and the sweeper when a worker died without handing its message back), and the job goes on from the
segments already done. The seconds are metered once, in the transaction that closes the job.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import socket
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from console import cloud_errors
from console.clock import now_or
from console.models import Account, Member
from materials.models import Material
from video.models import (
    OPEN_STATUSES,
    VIDEO_JOB_TRANSITIONS,
    VideoJob,
    VideoJobAction,
    VideoJobSource,
    VideoJobStatus,
    VideoSegment,
)

log = logging.getLogger(__name__)

# The cloud's codes and their messages: the one table (console/cloud_errors.py).
SUCCESS = cloud_errors.SUCCESS
INNER_ERROR = cloud_errors.INNER_ERROR
MATERIAL_NOT_FOUND = cloud_errors.MATERIAL_ID_NOT_FOUND
FACE_ID_NOT_IN_VIDEO = cloud_errors.FACE_ID_NOT_IN_VIDEO
IMAGE_DECODE_FAILED = cloud_errors.IMAGE_DECODE_FAILED
IMAGE_SIZE_EXCEED = cloud_errors.IMAGE_SIZE_EXCEED
ACTION = "VideoFaceFusion"  # the usage records' action: seconds of fused video
PHOTO_MAX_BYTES = 5 * 1024 * 1024
# Until finished jobs give a measured figure: engine seconds per frame of 720p on one core.
DEFAULT_SECONDS_PER_FRAME = 0.12
HEARTBEAT_SECONDS = 2.0

def _messages(code: str) -> tuple[str, str]:
    return cloud_errors.message_pair(code)


def worker_name() -> str:
    return f"{socket.gethostname()}/{os.getpid()}"


def _move(job_id: Any, action: str, *, where: dict | None = None, **fields: Any) -> bool:
    """``action`` on the job if its status allows it (the transition table), as a compare-and-swap."""
    sources = VIDEO_JOB_TRANSITIONS.sources(action)
    (target,) = {VIDEO_JOB_TRANSITIONS.target(state, action) for state in sources}
    return bool(VideoJob.objects.filter(id=job_id, status__in=sources, **(where or {})).update(status=target,
                                                                                               **fields))


# --- submit -----------------------------------------------------------------------------------

@dataclass
class VideoLabel:
    visible: bool = True
    logo: bytes | None = None
    logo_rect: tuple[int, int, int, int] | None = None
    meta_key: str | None = None
    meta_value: str | None = None


class SubmitRefused(Exception):
    """The submission cannot become a job: the cloud's code for why."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def _sniff(data: bytes) -> str:
    from fusion.engine.imageio import sniff_format

    fmt = sniff_format(data)
    if fmt is None:
        raise SubmitRefused(IMAGE_DECODE_FAILED)
    return "png" if fmt == "PNG" else "jpg"


def video_job_submit(*, account: Account, material: Material, request_id: str, source: str, photo: bytes,
                     photo_rect: tuple[int, int, int, int] | None = None, template_face_id: str | None = None,
                     label: VideoLabel | None = None, user_designated_url: str = "", user_ip: str = "",
                     member: Member | None = None) -> VideoJob:
    """Store the photo (and logo), create the job and its segments, and enqueue the segments once
    committed. ``material`` is the caller's usable video material (the caller checked)."""
    label = label or VideoLabel()
    if material.account_id != account.id or not material.is_video:
        raise SubmitRefused(MATERIAL_NOT_FOUND)
    if template_face_id not in (None, "", "face_0"):
        # Single-face video fusion: the tracked role is the video's one face.
        raise SubmitRefused(FACE_ID_NOT_IN_VIDEO)
    if len(photo) > PHOTO_MAX_BYTES:
        raise SubmitRefused(IMAGE_SIZE_EXCEED)
    ext = _sniff(photo)
    if label.logo is not None:
        _sniff(label.logo)
    info = material.video_info or {}
    frames = int(info["frames"])
    size = settings.VIDEO_SEGMENT_FRAMES
    bounds = [(s, min(s + size, frames)) for s in range(0, frames, size)]
    stored: list[str] = []
    try:
        folder = f"video/sources/{account.id}/{uuid.uuid4().hex}"
        stored.append(default_storage.save(f"{folder}.{ext}", ContentFile(photo)))
        if label.logo is not None:
            stored.append(default_storage.save(f"{folder}.logo", ContentFile(label.logo)))
        with transaction.atomic():
            job = VideoJob.objects.create(
                request_id=request_id, account=account, member=member, source=source,
                campaign_project_id=material.campaign.project_id, material_model_id=material.model_id,
                photo_name=stored[0], photo_rect=list(photo_rect) if photo_rect else None,
                logo_name=stored[1] if label.logo is not None else "",
                label={"visible": label.visible, "logo_rect": list(label.logo_rect) if label.logo_rect else None,
                       "meta_key": label.meta_key, "meta_value": label.meta_value},
                user_designated_url=user_designated_url, user_ip=user_ip[:64], frames=frames,
                segments_total=len(bounds), enqueued_at=timezone.now())
            VideoSegment.objects.bulk_create([VideoSegment(job=job, index=i, start=s, stop=e)
                                              for i, (s, e) in enumerate(bounds)])
            transaction.on_commit(lambda: _enqueue_segments(job.id, range(len(bounds))))
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return job


def _enqueue_segments(job_id: Any, indices: Any) -> None:
    from video.tasks import run_segment

    for index in indices:
        run_segment.delay(str(job_id), int(index))


def _enqueue_finish(job_id: Any) -> None:
    from video.tasks import finish_job

    finish_job.delay(str(job_id))


# --- estimates ----------------------------------------------------------------------------------

def seconds_per_frame(*, now: datetime | None = None) -> float:
    """Engine seconds per frame over the last finished jobs (their median), else the default."""
    rows = list(VideoJob.objects.filter(status=VideoJobStatus.SUCCEEDED, engine_seconds__isnull=False)
                .order_by("-finished_at").values_list("engine_seconds", "frames")[:20])
    rates = sorted(s / f for s, f in rows if f and s is not None)
    return rates[len(rates) // 2] if rates else DEFAULT_SECONDS_PER_FRAME


def live_workers(*, now: datetime | None = None) -> int:
    """Worker processes that finished a segment in the last ten minutes (at least one)."""
    since = now_or(now) - timedelta(minutes=10)
    return max(1, VideoSegment.objects.filter(done_at__gte=since).values("worker").distinct().count())


def video_queue_estimate(*, job: VideoJob) -> tuple[int, int]:
    """(JobQueueLength, EstimatedProcessTime): the open jobs submitted before this one, and the
    seconds until this one is done: the frames not yet fused of those jobs and this one, at the
    measured speed, spread over the worker processes seen working."""
    ahead = VideoJob.objects.filter(status__in=OPEN_STATUSES, created_at__lt=job.created_at)
    queue_length = ahead.count()
    frames_ahead = sum(max(0, stop - start) for start, stop in VideoSegment.objects.filter(
        job__in=ahead, done_at__isnull=True).values_list("start", "stop"))
    mine = sum(max(0, stop - start) for start, stop in job.segments.filter(done_at__isnull=True)
               .values_list("start", "stop"))
    estimate = math.ceil((frames_ahead + mine) * seconds_per_frame() / live_workers()) + 1
    return queue_length, estimate


# --- worker side: segments ----------------------------------------------------------------------

class _Failure(Exception):
    def __init__(self, code: str, zh: str = "", en: str = "") -> None:
        dzh, den = _messages(code)
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
    if not _move(job_id, VideoJobAction.START, heartbeat_at=now):
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
            _fail(job, exc.code, exc.message_zh, exc.message_en)
            return False
        except _Failure as exc:
            _fail(job, exc.code, exc.zh, exc.en)
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
        _enqueue_finish(job_id)


def _fail(job: VideoJob, code: str, zh: str, en: str) -> bool:
    """Close the job as failed (nothing is billed: no video came out). True when this call closed it."""
    now = timezone.now()
    with transaction.atomic():
        won = _move(job.id, VideoJobAction.FAIL, error_code=code, error_message=(zh or code)[:300],
                    error_message_en=(en or code)[:300],
                    finished_at=now, expires_at=now + timedelta(seconds=settings.FUSION_RESULT_TTL_SECONDS))
        if won:
            _meter(job, code, seconds=0, now=now)
    if won:
        transaction.on_commit(lambda: _discard_segments(job.id))
    return bool(won)


# --- worker side: finishing ---------------------------------------------------------------------

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
            return _fail(job, exc.code, exc.zh, exc.en)
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
        won = _move(job.id, VideoJobAction.SUCCEED, where={"status": VideoJobStatus.PROCESSING}, result_name=name,
                    result_md5=md5, result_info=result, designated_upload=upload, billed_seconds=seconds,
                    engine_seconds=engine_seconds, finished_at=now, error_code="", error_message="",
                    error_message_en="", expires_at=now + timedelta(seconds=settings.FUSION_RESULT_TTL_SECONDS))
        if won:
            _meter(job, SUCCESS, seconds=seconds, now=now)
    if not won:
        default_storage.delete(name)
        return False
    transaction.on_commit(lambda: _discard_segments(job.id))
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


def _discard_segments(job_pk: Any) -> None:
    for seg in VideoSegment.objects.filter(job_id=job_pk).exclude(name=""):
        try:
            default_storage.delete(seg.name)
        except OSError:
            log.warning("could not delete segment %s", seg.name)
    VideoSegment.objects.filter(job_id=job_pk).update(name="")


# --- periodic work ------------------------------------------------------------------------------

def video_jobs_sweep(*, now: datetime | None = None) -> int:
    """Jobs nobody is working on: a queued job whose messages were lost, or a processing one whose
    worker stopped beating (killed, its host gone) for ``VIDEO_JOB_STALL_SECONDS``. Each is taken
    over with a compare-and-swap on its heartbeat (two sweepers never both take it): its undone
    segments are enqueued again (done ones are kept: the job resumes), or, after
    ``VIDEO_JOB_MAX_ATTEMPTS`` takeovers, it is closed as failed and not billed."""
    now = now_or(now)
    stall = now - timedelta(seconds=settings.VIDEO_JOB_STALL_SECONDS)
    stuck = VideoJob.objects.filter(
        Q(status=VideoJobStatus.QUEUED, enqueued_at__lt=stall)
        | Q(status=VideoJobStatus.PROCESSING, heartbeat_at__lt=stall)).select_related("account")[:200]
    taken = 0
    for job in stuck:
        if job.attempts + 1 >= settings.VIDEO_JOB_MAX_ATTEMPTS:
            zh, en = _messages(INNER_ERROR)
            taken += _fail(job, INNER_ERROR, zh, en)
            continue
        claimed = VideoJob.objects.filter(id=job.id, status=job.status, heartbeat_at=job.heartbeat_at,
                                          enqueued_at=job.enqueued_at).update(
            attempts=F("attempts") + 1, heartbeat_at=now, enqueued_at=now)
        if not claimed:
            continue
        undone = list(job.segments.filter(done_at__isnull=True).values_list("index", flat=True))
        if undone:
            _enqueue_segments(job.id, undone)
        else:
            _enqueue_finish(job.id)
        log.warning("video job %s taken over (%d segments left)", job.job_id, len(undone))
        taken += 1
    return taken


def video_results_purge(*, now: datetime | None = None, batch: int = 200) -> int:
    """Delete results and photos past their time (FUSION_RESULT_TTL_SECONDS). Safe to run twice."""
    now = now_or(now)
    purged = 0
    for job in VideoJob.objects.filter(expires_at__lte=now)[:batch]:
        names = [job.result_name, job.photo_name, job.logo_name]
        if VideoJob.objects.filter(id=job.id, expires_at=job.expires_at).update(result_name="", expires_at=None):
            for name in filter(None, names):
                default_storage.delete(name)
            purged += 1
    return purged


# --- the console's test-effect run ---------------------------------------------------------------

def video_test_run(*, account: Account, member: Member, material: Material, photo: bytes) -> VideoJob:
    """A console test (视频测试效果): the same job, recorded as a console test and never billed."""
    from materials.selectors import material_is_usable

    if material.account_id != account.id or not material.is_video:
        raise ValidationError(_("This video material does not exist."))
    if not material_is_usable(material):
        raise ValidationError(_("This material has not passed review yet; test it once it is approved."))
    try:
        return video_job_submit(account=account, material=material, request_id=str(uuid.uuid4()),
                                source=VideoJobSource.CONSOLE_TEST, photo=photo, member=member)
    except SubmitRefused as exc:
        if exc.code == IMAGE_SIZE_EXCEED:
            raise ValidationError(_("The photo is larger than 5 MB; upload a smaller one."))
        raise ValidationError(_("The photo must be a JPG or PNG image."))
