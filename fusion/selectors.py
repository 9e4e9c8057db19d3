"""Reads of fusion jobs, scoped by account: another account's job answers 404 like a missing one."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from console.models import Account
from fusion.models import FusionJob, JobSource


def test_job_get(*, account: Account, job_id: str) -> FusionJob:
    try:
        uuid.UUID(str(job_id))
    except ValueError:
        raise Http404
    job = FusionJob.objects.filter(account=account, source=JobSource.CONSOLE_TEST, id=job_id).first()
    if job is None:
        raise Http404
    return job


def test_job_recent(*, account: Account, limit: int = 10, action: str = "FuseFace") -> QuerySet[FusionJob]:
    """The latest console tests of one action (the standard tab's FuseFace, the 专业版 tab's FuseFaceUltra)."""
    return (FusionJob.objects.filter(account=account, source=JobSource.CONSOLE_TEST, action=action)
            .order_by("-created_at")[:limit])
