"""A video fusion job (docs/state-machines.md#video-fusion-job): submit, state changes, queue estimates."""

from __future__ import annotations

import logging
import math
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from console import cloud_errors
from console.clock import now_or
from console.models import Account, Member
from materials.models import Material
from video.models import (
    OPEN_STATUSES,
    VIDEO_JOB_TRANSITIONS,
    VideoJob,
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


def error_messages(code: str) -> tuple[str, str]:
    return cloud_errors.message_pair(code)


def worker_name() -> str:
    return f"{socket.gethostname()}/{os.getpid()}"


def job_move(job_id: Any, action: str, *, where: dict | None = None, **fields: Any) -> bool:
    """``action`` on the job if its status allows it (the transition table), as a compare-and-swap."""
    return bool(VIDEO_JOB_TRANSITIONS.move(VideoJob.objects.filter(id=job_id, **(where or {})), action, **fields))


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
            transaction.on_commit(lambda: enqueue_segments(job.id, range(len(bounds))))
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return job


def enqueue_segments(job_id: Any, indices: Any) -> None:
    from video.tasks import run_segment

    for index in indices:
        run_segment.delay(str(job_id), int(index))


def enqueue_finish(job_id: Any) -> None:
    from video.tasks import finish_job

    finish_job.delay(str(job_id))


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
