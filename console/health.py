"""``GET /healthz/``: is this deployment able to serve? For load balancers and ``make run``'s smoke test.

Checks the database, the cache, and a real task round trip through the broker to a worker and
back through the result backend. No authentication, and nothing secret in the answer.
"""

import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
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


def _check_worker(timeout: float) -> dict:
    from console.tasks import ping

    started = time.monotonic()
    result = ping.apply_async(expires=timeout + 5)
    try:
        answer = result.get(timeout=timeout, interval=0.1)
    finally:
        result.forget()
    return {"ok": answer == "pong", "round_trip_ms": int((time.monotonic() - started) * 1000)}


def _check_queues() -> dict:
    """Every queue has a live worker process (console/workers.py): a dead worker shows here within 3 s."""
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
    """``?worker=0`` skips the task round trip (for probes that run every few seconds)."""
    checks = {"database": _run(_check_database), "cache": _run(_check_cache)}
    if request.GET.get("worker", "1") != "0":
        checks["worker"] = _run(_check_worker, float(settings.HEALTHZ_WORKER_TIMEOUT))
        if settings.REDIS_URL:
            checks["queues"] = _run(_check_queues)
    ok = all(check["ok"] for check in checks.values())
    body = {"ok": ok, "env": settings.DJANGO_ENV, "checks": checks}
    return JsonResponse(body, status=200 if ok else 503)
