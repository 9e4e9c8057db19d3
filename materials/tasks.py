"""Review tasks, on the ``review`` queue (config.celery routes ``materials.tasks.*`` there).

Tasks take ids and are idempotent: a redelivery after a lost ack or a killed worker finds the
material decided and does nothing. The sweeper re-queues reviews whose message was lost."""

from celery import shared_task

from materials import recheck, review, video


@shared_task(name="materials.tasks.review_material")
def review_material(material_id: int) -> int | None:
    material = review.material_review_run(material_id=material_id)
    return None if material is None else material.status


@shared_task(name="materials.tasks.review_sweep")
def review_sweep() -> int:
    return review.material_review_sweep()


@shared_task(name="materials.tasks.rights_recheck")
def rights_recheck(kind: str, item_id: int) -> int:
    return recheck.rights_recheck(kind=kind, item_id=item_id)


@shared_task(name="materials.tasks.preprocess_video")
def preprocess_video(material_id: int) -> int | None:
    """On the ``video-prep`` queue (config.celery routes it there): decoding and tracking a whole
    video takes seconds to minutes, and must not hold up image reviews."""
    material = video.material_preprocess_run(material_id=material_id)
    return None if material is None else material.status
