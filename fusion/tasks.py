"""Fusion's Celery tasks, on the ``fusion`` queue (config.celery routes ``fusion.tasks.*`` there)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_init

log = logging.getLogger(__name__)


@shared_task(name="fusion.tasks.run_fusion_job", ignore_result=True, acks_late=True)
def run_fusion_job(job_id: str, images: list[str | None], logo_b64: str | None = None) -> None:
    from fusion.services import fusion_job_run

    fusion_job_run(job_id=job_id, images=images, logo_b64=logo_b64)


@shared_task(name="fusion.tasks.purge_expired_results", ignore_result=True)
def purge_expired_results() -> int:
    from fusion.services import fusion_results_purge

    return fusion_results_purge()


@shared_task(name="fusion.tasks.sweep_stuck_jobs", ignore_result=True)
def sweep_stuck_jobs() -> int:
    from fusion.services import fusion_jobs_sweep

    return fusion_jobs_sweep()


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
    from fusion.engine import get_engine

    get_engine()
    log.info("face engine loaded")
