"""Fusion jobs: one row per FuseFace call or test-effect run, from enqueue to result."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from console.models import Account, Member


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    TIMED_OUT = "timed_out", _("Timed out")


FINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.TIMED_OUT)
OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


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
    campaign_project_id = models.CharField(max_length=64)
    material_model_id = models.CharField(max_length=64)
    version = models.CharField(max_length=20)
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
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES
