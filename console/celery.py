"""The Celery app. Queues: ``review`` (materials), ``fusion`` (jobs), ``billing``."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")

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
    timezone="Asia/Shanghai",
)
app.autodiscover_tasks()
