"""Health endpoints, for load balancers, monitoring and ``make run``'s smoke test.

- ``GET /healthz/`` (public): liveness. The process answers; it touches nothing and says nothing
  about the deployment, so anyone may poll it as often as they like.
- ``GET /healthz/ready/`` with ``Authorization: Bearer $HEALTHZ_TOKEN``: readiness. The database,
  the cache, the media storage (a small file written, read and deleted), and a real task round trip
  through the broker to a worker of **each** queue and back through the result backend. It costs a
  thread for up to ``HEALTHZ_WORKER_TIMEOUT`` seconds, which is why it is not public. Without a
  configured token it does not exist (404); a wrong token is 403.
"""

from __future__ import annotations

import hmac
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def _check_cache() -> dict:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return {"ok": ok}


def _check_storage() -> dict:
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        with default_storage.open(name, "rb") as fh:
            ok = fh.read() == b"ok"
    finally:
        default_storage.delete(name)
    return {"ok": ok}


def _check_queues(timeout: float) -> dict:
    """One ping per queue, all sent at once, all answered within one deadline."""
    from console.tasks import ping

    started = time.monotonic()
    deadline = started + timeout
    queues = ping.app.conf.task_queues  # the project's Celery app, as configured (config/celery.py)
    sent = {queue.name: ping.apply_async(queue=queue.name, expires=timeout + 5) for queue in queues}
    answers: dict[str, dict[str, object]] = {}
    for name, result in sent.items():
        try:
            answer = result.get(timeout=max(deadline - time.monotonic(), 0.01), interval=0.1)
            answers[name] = {"ok": answer == "pong", "round_trip_ms": int((time.monotonic() - started) * 1000)}
        except Exception as exc:  # a health check reports failures; it never raises them
            answers[name] = {"ok": False, "error": exc.__class__.__name__}
        finally:
            result.forget()
    return {"ok": all(a["ok"] for a in answers.values()), "queues": answers}


def _check_consumers() -> dict:
    """Every queue has a live worker process (console/workers.py): a dead worker shows here within 3 s,
    without waiting for a ping to time out."""
    from celery import current_app

    from console.workers import queue_consumers

    queues = [q.name for q in current_app.conf.task_queues]
    consumers = queue_consumers()
    missing = [q for q in queues if not consumers.get(q)]
    return {"ok": not missing, "consumers": {q: len(consumers.get(q, [])) for q in queues}, "without_consumer": missing}


def _run(check, *args: object) -> dict:
    try:
        return check(*args)
    except Exception as exc:  # a health check reports failures; it never raises them
        return {"ok": False, "error": exc.__class__.__name__}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@never_cache
@require_GET
def readiness(request: HttpRequest) -> JsonResponse:
    """``?worker=0`` skips the queue round trips (for probes that run every few seconds)."""
    token = settings.HEALTHZ_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return JsonResponse({"ok": False, "error": "A valid Authorization: Bearer token is required."}, status=403)
    checks = {"database": _run(_check_database), "cache": _run(_check_cache), "storage": _run(_check_storage)}
    if request.GET.get("worker", "1") != "0":
        if settings.REDIS_URL:  # no task queued: a dead worker shows without waiting for a ping to time out
            checks["consumers"] = _run(_check_consumers)
        checks["worker"] = _run(_check_queues, float(settings.HEALTHZ_WORKER_TIMEOUT))
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"ok": ok, "env": settings.DJANGO_ENV, "checks": checks}, status=200 if ok else 503)
