"""Video face fusion jobs (docs/state-machines.md#video-fusion-job): one row per
SubmitVideoFaceFusionJob or video test-effect run, and one row per segment of its frames."""

import secrets
import string
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from console.models import Account, Member
from console.transitions import TransitionTable


class VideoJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queuing")
    PROCESSING = "processing", _("Processing")
    FAILED = "failed", _("Processing failed")
    SUCCEEDED = "succeeded", _("Processing completed")


# QueryVideoFaceFusionJob's JobStatusCode.
STATUS_CODES = {VideoJobStatus.QUEUED: 1, VideoJobStatus.PROCESSING: 3, VideoJobStatus.FAILED: 5,
                VideoJobStatus.SUCCEEDED: 7}
OPEN_STATUSES = (VideoJobStatus.QUEUED, VideoJobStatus.PROCESSING)


class VideoJobAction(models.TextChoices):
    START = "start", _("Start")  # a worker takes a segment; again on a redelivery or a takeover
    SUCCEED = "succeed", _("Succeed")  # the segments joined, the result stored, the seconds metered
    FAIL = "fail", _("Fail")  # a typed error, or a job whose workers kept dying


VIDEO_JOB_TRANSITIONS: TransitionTable[str, str] = TransitionTable(_("video fusion job"), {
    (VideoJobStatus.QUEUED, VideoJobAction.START): VideoJobStatus.PROCESSING,
    (VideoJobStatus.PROCESSING, VideoJobAction.START): VideoJobStatus.PROCESSING,
    (VideoJobStatus.PROCESSING, VideoJobAction.SUCCEED): VideoJobStatus.SUCCEEDED,
    (VideoJobStatus.QUEUED, VideoJobAction.FAIL): VideoJobStatus.FAILED,
    (VideoJobStatus.PROCESSING, VideoJobAction.FAIL): VideoJobStatus.FAILED,
})


class VideoJobSource(models.TextChoices):
    API = "api", _("API")
    CONSOLE_TEST = "console_test", _("Console test")


def new_job_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


class VideoJob(models.Model):
    """A video fusion. Its status moves by the transition table only, with compare-and-swap; the
    work is in segments (VideoSegment) that any worker may take, and that a redelivered or swept
    job does not do again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job_id = models.CharField(max_length=32, unique=True, default=new_job_id, editable=False)
    request_id = models.CharField(max_length=64, unique=True)  # the Submit call's (or the console run's)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="video_jobs")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=20, choices=VideoJobSource.choices)
    status = models.CharField(max_length=20, choices=VideoJobStatus.choices, default=VideoJobStatus.QUEUED)
    campaign_project_id = models.CharField(max_length=64)
    material_model_id = models.CharField(max_length=64)
    # The user's photo, stored: a job outlives its message (a sweep re-queues it from the row alone).
    photo_name = models.CharField(max_length=300)
    photo_rect = models.JSONField(null=True, blank=True)  # [x, y, w, h]
    logo_name = models.CharField(max_length=300, blank=True)
    # {"visible": bool, "logo_rect": [x,y,w,h]|None, "meta_key": str|None, "meta_value": str|None}
    label = models.JSONField(default=dict, blank=True)
    user_designated_url = models.TextField(blank=True)
    user_ip = models.CharField(max_length=64, blank=True)
    frames = models.PositiveIntegerField()
    segments_total = models.PositiveIntegerField()
    error_code = models.CharField(max_length=80, blank=True)
    # A failure's message in both languages: QueryVideoFaceFusionJob answers in the caller's
    # (X-TC-Language), the console in the reader's.
    error_message = models.CharField(max_length=300, blank=True)
    error_message_en = models.CharField(max_length=300, blank=True)
    result_name = models.CharField(max_length=300, blank=True)
    result_md5 = models.CharField(max_length=32, blank=True)
    # The result as probed: Width, Height, FPS, DurationInSec, Frame of QueryVideoFaceFusionJob.
    result_info = models.JSONField(null=True, blank=True)
    # "" (not asked), "uploaded", or "failed" (the result is then only in our storage).
    designated_upload = models.CharField(max_length=10, blank=True)
    billed_seconds = models.PositiveIntegerField(default=0)
    engine_seconds = models.FloatField(null=True, blank=True)  # summed over segments
    attempts = models.PositiveSmallIntegerField(default=0)  # takeovers by the sweeper
    enqueued_at = models.DateTimeField()
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "source", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["expires_at"]),
            # Retention deletes closed jobs by age (video.retention).
            models.Index(fields=["finished_at"], name="video_job_finished_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OPEN_STATUSES)
                | (models.Q(finished_at__isnull=False) & (models.Q(status=VideoJobStatus.SUCCEEDED)
                                                          | ~models.Q(error_code=""))),
                name="video_job_closed_with_outcome"),
        ]
        verbose_name = _("video job")
        verbose_name_plural = _("video jobs")

    def __str__(self) -> str:
        return f"{self.job_id} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status not in OPEN_STATUSES

    @property
    def status_code(self) -> int:
        return STATUS_CODES[VideoJobStatus(self.status)]

    def localized_error_message(self, *, english: bool) -> str:
        """Rows failed before the English message was kept have only the Chinese one."""
        return (self.error_message_en or self.error_message) if english else self.error_message


class VideoSegment(models.Model):
    """Frames start..stop-1 of a job, fused and encoded on their own. ``name`` is set once, by the
    first delivery to finish (compare-and-swap on an empty name); a later one discards its copy."""

    job = models.ForeignKey(VideoJob, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    stop = models.PositiveIntegerField()
    name = models.CharField(max_length=300, blank=True)
    worker = models.CharField(max_length=200, blank=True)  # who finished it (host/pid)
    engine_seconds = models.FloatField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="video_segment_once")]
        ordering = ["job", "index"]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.index}"
