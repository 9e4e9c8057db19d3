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
    task_queues=[Queue("default"), Queue("review"), Queue("fusion"), Queue("billing"), Queue("video-prep"),
                 Queue("video")],
    task_routes={
        # Video preprocessing (minutes of decoding and tracking) and video fusion jobs each on their own.
        "materials.tasks.preprocess_video": {"queue": "video-prep"},
        "video.tasks.*": {"queue": "video"},
        "materials.tasks.*": {"queue": "review"},
        "fusion.tasks.*": {"queue": "fusion"},
        "billing.tasks.*": {"queue": "billing"},
    },
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_expires=3600,
    # Broker outages of any length (README "Workers, Redis roles and faults"): retry the connection
    # forever, at start-up too.
    broker_connection_retry=True,
    broker_connection_retry_on_startup=True,
    broker_connection_max_retries=None,
    # A task running when the connection drops finishes: its outcome goes to the database and the
    # answers role, not through the broker, and its ack on the new connection (or its redelivery,
    # which finds the work done) is harmless. Cancelling it would throw a caller's fusion away.
    worker_cancel_long_running_tasks_on_connection_loss=False,
    # A result that cannot be stored (results role down) is retried instead of failing the task.
    result_backend_always_retry=True,
    result_backend_max_retries=20,
    redis_socket_connect_timeout=2,
    redis_socket_timeout=10,
)
# Gossip, mingle and heartbeat are switched off on the command line (scripts/worker.sh): they are
# what breaks on a Redis restart (kombu #582, celery #8030) and nothing here needs them.

# The sweepers that catch up lost messages: SWEEP_INTERVAL_SECONDS sets how often they run (below),
# which bounds how long after a broker outage a review, a settlement or a stuck job waits.
SWEEPERS = ("materials-review-sweep", "fusion-sweep-stuck-jobs", "billing-settle-sweep")
# Every periodic task in one place, so what beat runs can be read without importing every app.
app.conf.beat_schedule = {
    # Reviews whose message was lost go back on the queue.
    "materials-review-sweep": {"task": "materials.tasks.review_sweep", "schedule": 60.0},
    # Fusion jobs past their deadline are failed.
    "fusion-sweep-stuck-jobs": {"task": "fusion.tasks.sweep_stuck_jobs", "schedule": 60.0},
    # Video jobs whose worker died go on from their finished segments.
    "video-sweep-jobs": {"task": "video.tasks.sweep_jobs", "schedule": 30.0},
    # Retention: results and photos past their TTL, old job rows and usage records (settings.RETENTION_STEPS).
    "retention": {"task": "console.tasks.retention_run", "schedule": crontab(minute=20)},
    # Usage records whose settlement task was lost.
    "billing-settle-sweep": {"task": "billing.tasks.settle_sweep", "schedule": 60.0},
    "billing-month-start": {"task": "billing.tasks.month_start", "schedule": crontab(minute=5, hour=0, day_of_month=1)},
    # Hourly as well, so a missed 1st (beat down) is caught up the same day.
    "billing-month-start-catchup": {"task": "billing.tasks.month_start", "schedule": crontab(minute=35)},
    "billing-packs-expire": {"task": "billing.tasks.packs_expire", "schedule": crontab(minute=1)},
    "billing-arrears-check": {"task": "billing.tasks.arrears_check", "schedule": crontab(minute=15)},
}
app.autodiscover_tasks()


@app.on_after_configure.connect
def _sweep_interval(sender: Celery, **_kwargs: object) -> None:
    from django.conf import settings

    for name in SWEEPERS:
        sender.conf.beat_schedule[name]["schedule"] = float(settings.SWEEP_INTERVAL_SECONDS)


import console.workers  # noqa: E402, F401 - the liveness heartbeat, hooked to the worker's signals
import observability.worker  # noqa: E402, F401 - log context through the broker, task metrics, JSON logs
