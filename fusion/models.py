"""Fusion jobs: one row per FuseFace call or test-effect run, from enqueue to result."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from console.models import Account, Member
from console.transitions import TransitionTable


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    TIMED_OUT = "timed_out", _("Timed out")


FINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.TIMED_OUT)
OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)

class JobAction(models.TextChoices):
    START = "start", _("Start")  # a worker takes the job; again, when the one holding it died
    SUCCEED = "succeed", _("Succeed")
    # A typed error: the worker's, an enqueue that kept failing, a worker lost twice, the sweeper.
    FAIL = "fail", _("Fail")
    EXPIRE = "expire", _("Expire")  # the deadline passed
    # A base64 result travels only in the worker's answer; when that answer is lost and no stored copy
    # exists, the caller is told FailedOperation.ServerError and the job says the same.
    LOSE_RESULT = "lose_result", _("Lose the result")


# The job's whole state machine (docs/state-machines.md): fusion.services moves jobs through it only.
JOB_TRANSITIONS: TransitionTable[str, str] = TransitionTable(_("fusion job"), {
    (JobStatus.QUEUED, JobAction.START): JobStatus.RUNNING,
    (JobStatus.RUNNING, JobAction.START): JobStatus.RUNNING,
    (JobStatus.RUNNING, JobAction.SUCCEED): JobStatus.SUCCEEDED,
    (JobStatus.QUEUED, JobAction.FAIL): JobStatus.FAILED,
    (JobStatus.RUNNING, JobAction.FAIL): JobStatus.FAILED,
    (JobStatus.QUEUED, JobAction.EXPIRE): JobStatus.TIMED_OUT,
    (JobStatus.RUNNING, JobAction.EXPIRE): JobStatus.TIMED_OUT,
    (JobStatus.SUCCEEDED, JobAction.LOSE_RESULT): JobStatus.FAILED,
})


class JobSource(models.TextChoices):
    API = "api", _("API")
    CONSOLE_TEST = "console_test", _("Console test")


class FusionJob(models.Model):
    """A fusion request. Its status only moves forward, by compare-and-swap: the API giving up
    (timed_out) and a worker finishing (succeeded/failed) race, and exactly one of them wins,
    so what the caller got and what is recorded never differ."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="fusion_jobs")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source = models.CharField(max_length=20, choices=JobSource.choices)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # FuseFace (a reviewed material: campaign and material set) or FuseFaceUltra (the template came
    # with the call: in the message, or stored as ``template_name`` for a console test).
    action = models.CharField(max_length=30, default="FuseFace")
    campaign_project_id = models.CharField(max_length=64)
    material_model_id = models.CharField(max_length=64)
    version = models.CharField(max_length=20)
    # FuseFaceUltra: {"model_type": 1-6, "warp", "enhance", "smooth": 0-1, "teeth", "makeup": bool}
    options = models.JSONField(default=dict, blank=True)
    template_name = models.CharField(max_length=300, blank=True)
    face_degree = models.PositiveSmallIntegerField(null=True, blank=True)
    profile_degree = models.PositiveSmallIntegerField(null=True, blank=True)
    rsp_img_type = models.CharField(max_length=10, default="url")
    # [{"template_face_id": str|None, "source_face_rect": [x,y,w,h]|None, "source_name": str}]
    mappings = models.JSONField(default=list, blank=True)
    # {"visible": bool, "logo_rect": [x,y,w,h]|None, "meta_key": str|None, "meta_value": str|None}
    label = models.JSONField(default=dict, blank=True)
    result_code = models.CharField(max_length=80, blank=True)
    result_message = models.CharField(max_length=300, blank=True)
    result_name = models.CharField(max_length=300, blank=True)
    engine_ms = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    deadline_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "source", "-created_at"]),
            models.Index(fields=["status", "deadline_at"]),
            models.Index(fields=["expires_at"]),
            # Retention deletes closed jobs by age (fusion.retention).
            models.Index(fields=["finished_at"], name="fusion_job_finished_at"),
        ]
        constraints = [
            # A closed job always says how it ended: the answer and the usage record are built from it.
            models.CheckConstraint(
                condition=models.Q(status__in=OPEN_STATUSES)
                | (~models.Q(result_code="") & models.Q(finished_at__isnull=False)),
                name="fusion_job_closed_with_outcome"),
        ]
        verbose_name = _("fusion job")
        verbose_name_plural = _("fusion jobs")

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES
