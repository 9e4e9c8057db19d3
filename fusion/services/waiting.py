"""The web side of a fusion job: wait for the worker's answer until the deadline, hand the job on
when its worker dies, close it at the deadline."""

from __future__ import annotations

import logging
import time

from django.core.files.storage import default_storage
from django.utils import timezone

from console import cloud_errors as errors
from console.dbretry import DISCONNECTED, reconnecting
from fusion import channel
from fusion.models import FusionJob, JobAction, JobStatus
from fusion.services.jobs import (
    CLOSE_RETRY_SECONDS,
    INNER_ERROR,
    REQUEST_TIMEOUT,
    SERVER_ERROR,
    JobOutcome,
    fusion_job_expire,
    job_enqueue,
    job_move,
)
from observability import metrics

log = logging.getLogger(__name__)

# How often a waiter whose answer may have been lost (Redis failed, a worker died) looks at the job row.
SLICE_SECONDS = 0.5
# A worker whose liveness key stayed missing this long is dead (its key lives 3 s, refreshed every 1 s).
DEAD_AFTER_SECONDS = 1.5


def _result_lost(job: FusionJob) -> bool:
    """A succeeded base64 job whose image reached neither the caller nor storage: say so, in the row too."""
    return job_move(job.id, JobAction.LOSE_RESULT, where={"result_name": ""},
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
            job_enqueue(self.job, self.images, self.logo_b64)
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
