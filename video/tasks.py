"""Video fusion tasks, on the ``video`` queue (config.celery routes ``video.tasks.*`` there).

Tasks take ids and are idempotent: a segment already done, or a job already closed, is left alone,
so a redelivery after a killed worker (acks_late, and the sweeper) only does what is left."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_init
from django.conf import settings

log = logging.getLogger(__name__)


@shared_task(name="video.tasks.run_segment", ignore_result=True, acks_late=True)
def run_segment(job_id: str, index: int) -> None:
    from video.services import video_segment_run

    video_segment_run(job_id=job_id, index=index)


@shared_task(name="video.tasks.finish_job", ignore_result=True, acks_late=True)
def finish_job(job_id: str) -> None:
    from video.services import video_job_finish

    video_job_finish(job_id=job_id)


@shared_task(name="video.tasks.sweep_jobs", ignore_result=True)
def sweep_jobs() -> int:
    from video.services import video_jobs_sweep

    return video_jobs_sweep()


@worker_init.connect
def _warm_engine(sender=None, **_kwargs: object) -> None:
    """Load the face models before the pool forks when the worker consumes the video queues."""
    try:
        queues = {q.name for q in sender.app.amqp.queues.consume_from.values()}
    except AttributeError:
        queues = set()
    if not queues & {"video", "video-prep"}:
        return
    from fusion.engine import get_engine, set_engine_threads

    set_engine_threads(settings.FUSION_ENGINE_THREADS)
    get_engine()
    log.info("face engine loaded for video")
