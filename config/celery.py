"""The Celery app. Queues: ``review`` (materials), ``fusion`` (jobs), ``billing``."""

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ronghe", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    # A worker killed mid-task hands the task back instead of losing it; tasks are
    # idempotent, so the redelivery is safe.
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue="default",
    task_queues=[Queue("default"), Queue("review"), Queue("fusion"), Queue("billing")],
    task_routes={
        "materials.tasks.*": {"queue": "review"},
        "fusion.tasks.*": {"queue": "fusion"},
        "billing.tasks.*": {"queue": "billing"},
    },
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    broker_connection_retry_on_startup=True,
)
# Every periodic task in one place, so what beat runs can be read without importing every app.
app.conf.beat_schedule = {
    # Reviews whose message was lost go back on the queue.
    "materials-review-sweep": {"task": "materials.tasks.review_sweep", "schedule": 60.0},
    # Fusion jobs past their deadline are failed; results past their TTL are deleted.
    "fusion-sweep-stuck-jobs": {"task": "fusion.tasks.sweep_stuck_jobs", "schedule": 60.0},
    "fusion-purge-expired-results": {"task": "fusion.tasks.purge_expired_results", "schedule": crontab(minute=20)},
    # Usage records whose settlement task was lost.
    "billing-settle-sweep": {"task": "billing.tasks.settle_sweep", "schedule": 60.0},
    "billing-month-start": {"task": "billing.tasks.month_start", "schedule": crontab(minute=5, hour=0, day_of_month=1)},
    # Hourly as well, so a missed 1st (beat down) is caught up the same day.
    "billing-month-start-catchup": {"task": "billing.tasks.month_start", "schedule": crontab(minute=35)},
    "billing-packs-expire": {"task": "billing.tasks.packs_expire", "schedule": crontab(minute=1)},
    "billing-arrears-check": {"task": "billing.tasks.arrears_check", "schedule": crontab(minute=15)},
}
app.autodiscover_tasks()
