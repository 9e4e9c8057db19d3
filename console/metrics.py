"""The queues' figures for ``/metrics``, read at scrape time (settings.METRICS_COLLECTORS): messages
waiting in each Celery queue, asked of the broker itself, and the live worker processes consuming it
(console/workers.py's liveness keys; only with Redis, the embedded default publishes none)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from prometheus_client.core import Metric

from observability.metrics import gauge


def queue_depths() -> dict[str, int]:
    """Messages waiting (not yet taken by a worker) in each of the project's queues."""
    from console.tasks import ping

    app = ping.app  # the project's Celery app, as configured (config/celery.py)
    names = [queue.name for queue in app.conf.task_queues]
    with app.connection_for_read() as connection:
        channel: Any = connection.default_channel  # kombu's virtual channel; the stubs know only the base
        # A declaration only names the queue (the workers declare the same), and answers its size on
        # every transport; a passive one fails on Redis for a queue that is empty.
        return {name: int(channel.queue_declare(queue=name).message_count) for name in names}


def queue_metrics() -> Iterator[Metric]:
    depths = queue_depths()
    yield gauge("ronghe_queue_depth", "Messages waiting in a Celery queue, read from the broker at scrape time.",
                labels=["queue"], samples=[({"queue": name}, count) for name, count in depths.items()])
    if settings.REDIS_URL:
        from console.workers import queue_consumers

        consumers = queue_consumers()
        yield gauge("ronghe_queue_consumers", "Live worker processes consuming a queue (their liveness keys, "
                    "refreshed every second).", labels=["queue"],
                    samples=[({"queue": name}, len(consumers.get(name, []))) for name in depths])
