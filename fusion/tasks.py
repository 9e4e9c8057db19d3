"""Fusion's Celery tasks, on the ``fusion`` queue (config.celery routes ``fusion.tasks.*`` there)."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.signals import task_received, worker_init
from django.conf import settings

from console.dbretry import DISCONNECTED

log = logging.getLogger(__name__)

RUN_FUSION_JOB = "fusion.tasks.run_fusion_job"
DB_RETRY_SECONDS = 0.5


@shared_task(name=RUN_FUSION_JOB, bind=True, ignore_result=True, acks_late=True, max_retries=None)
def run_fusion_job(self, job_id: str, images: list[str | None], logo_b64: str | None = None,
                   deadline: float | None = None) -> None:
    from django.db import connection

    from fusion.services import fusion_job_run

    try:
        fusion_job_run(job_id=job_id, images=images, logo_b64=logo_b64)
    except DISCONNECTED as exc:
        # The database is unreachable, so nothing about the job was decided: never ack that as done.
        # Retry on a fresh connection while the job can still meet its deadline; past it the web
        # process (or the sweeper) closes the job.
        connection.close()
        if deadline is not None and time.time() + DB_RETRY_SECONDS >= deadline:
            log.error("fusion job %s: database unreachable until its deadline (%s)", job_id, exc)
            return
        log.warning("fusion job %s: database unreachable (%s); retrying in %.1f s", job_id, exc, DB_RETRY_SECONDS)
        raise self.retry(exc=exc, countdown=DB_RETRY_SECONDS) from exc


@shared_task(name="fusion.tasks.sweep_stuck_jobs", ignore_result=True)
def sweep_stuck_jobs() -> int:
    from fusion.services import fusion_jobs_sweep

    return fusion_jobs_sweep()


@task_received.connect
def _say_received(sender=None, request=None, **_kwargs: object) -> None:
    """In the worker's main process, the moment it takes a job's message: tell the waiting web
    process which worker holds the job, so it can tell when that worker dies (fusion.channel)."""
    if request is None or request.name != RUN_FUSION_JOB:
        return
    from console.workers import worker_id
    from fusion import channel

    if not channel.uses_redis():
        return
    try:
        channel.publish(str(request.args[0]), {"event": channel.RECEIVED, "worker": worker_id(sender.hostname)})
    except channel.ChannelDown as exc:  # the waiter then just cannot watch this worker
        log.warning("could not say fusion job %s was received: %s", request.args[0], exc)


@worker_init.connect
def _warm_engine(sender=None, **_kwargs: object) -> None:
    """Load the face models once when a worker that consumes the fusion queue starts, before the
    pool forks, so no job pays for it and forked children share the pages."""
    try:
        queues = {q.name for q in sender.app.amqp.queues.consume_from.values()}
    except AttributeError:
        queues = set()
    if queues and "fusion" not in queues:
        return
    from fusion.engine import get_engine, set_engine_threads

    set_engine_threads(settings.FUSION_ENGINE_THREADS)
    get_engine()
    log.info("face engine loaded")
