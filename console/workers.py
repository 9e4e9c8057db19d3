"""Worker liveness: each Celery worker's main process says every second that it is alive and which
queues it consumes, in the ``answers`` Redis role, under a key that expires after 3 s. The key names
the process (``hostname/pid``), not just the worker: a worker restarted under the same name is a new
process, and whatever the old one held died with it.

Used by a web process waiting for a fusion job (is the worker that took it still alive?) and by
``/healthz/`` (has every queue a live consumer?). Without Redis (the embedded default, one machine,
workers supervised by ``make run``) there is nothing to publish and nothing is reported.
"""

from __future__ import annotations

import json
import logging
import os
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings

log = logging.getLogger(__name__)

BEAT_SECONDS = 1.0
TTL_MS = 3000


def worker_id(hostname: str) -> str:
    """This process's identity as a worker (the main process: where tasks are received)."""
    return f"{hostname}/{os.getpid()}"


def _key(worker: str) -> str:
    from console.redis_roles import redis_key

    return redis_key("worker", worker)


class _Heartbeat(threading.Thread):
    def __init__(self, hostname: str, queues: list[str]) -> None:
        super().__init__(name="ronghe-liveness", daemon=True)
        self.hostname, self.queues, self.worker = hostname, queues, worker_id(hostname)
        self.stopped = threading.Event()

    def run(self) -> None:
        from console.redis_roles import redis_client

        value = json.dumps({"queues": self.queues, "hostname": self.hostname})
        failing = False
        while not self.stopped.is_set():
            try:
                redis_client("answers").set(_key(self.worker), value, px=TTL_MS)
                if failing:
                    log.warning("worker %s: liveness key written again", self.hostname)
                failing = False
            except Exception as exc:  # Redis restarting: keep trying, say it once
                if not failing:
                    log.warning("worker %s: cannot write its liveness key (%s); retrying every %.0f s",
                                self.hostname, exc, BEAT_SECONDS)
                failing = True
            self.stopped.wait(BEAT_SECONDS)


_heartbeat: _Heartbeat | None = None


@worker_ready.connect
def _start(sender=None, **_kwargs: object) -> None:
    global _heartbeat
    # Sent again after every reconnection to the broker: one heartbeat per process is enough.
    if not settings.REDIS_URL or sender is None or (_heartbeat is not None and _heartbeat.is_alive()):
        return
    queues = sorted(q.name for q in sender.app.amqp.queues.consume_from.values())
    _heartbeat = _Heartbeat(sender.hostname, queues)
    _heartbeat.start()


@worker_shutdown.connect
def _stop(**_kwargs: object) -> None:
    from console.redis_roles import redis_client

    if _heartbeat is not None:
        _heartbeat.stopped.set()
        _heartbeat.join(timeout=2)
        try:
            redis_client("answers").delete(_key(_heartbeat.worker))
        except Exception:  # shutting down anyway; the key expires by itself
            log.debug("could not delete the liveness key", exc_info=True)


def worker_alive(worker: str) -> bool:
    """Whether the worker process (``worker_id``) refreshed its liveness key within the last 3 s
    (raises if Redis is down)."""
    from console.redis_roles import redis_client

    return bool(redis_client("answers").exists(_key(worker)))


def queue_consumers() -> dict[str, list[str]]:
    """Live worker processes by queue (raises if Redis is down)."""
    from console.redis_roles import redis_client, redis_key

    client = redis_client("answers")
    keys = list(client.scan_iter(match=redis_key("worker", "*"), count=1000))
    consumers: dict[str, list[str]] = {}
    for key, raw in zip(keys, client.mget(keys) if keys else [], strict=True):
        if raw is None:
            continue
        worker = key.decode().removeprefix(redis_key("worker", ""))
        for queue in json.loads(raw)["queues"]:
            consumers.setdefault(queue, []).append(worker)
    return consumers
