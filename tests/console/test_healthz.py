"""Health: public liveness that touches nothing and tells nothing; readiness (database, cache,
storage, a worker on every queue) only with the token."""

import threading
import time

import pytest
from django.test import Client
from django.urls import reverse

TOKEN = "health-token-for-tests-0123456789"


@pytest.fixture
def token(settings) -> dict:
    settings.HEALTHZ_TOKEN = TOKEN
    return {"Authorization": f"Bearer {TOKEN}"}


def test_its_public_liveness_says_only_ok_and_touches_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get(reverse("console:healthz"))
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert "no-cache" in response["Cache-Control"]


def test_its_public_liveness_queues_no_task_and_stays_fast_under_load(db, settings):
    from config.celery import app

    app.control.purge()
    settings.HEALTHZ_WORKER_TIMEOUT = 5
    started = time.monotonic()
    threads = [threading.Thread(target=lambda: Client().get(reverse("console:healthz"))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started < 3
    assert app.control.purge() == 0, "an anonymous probe queued a task"


def test_readiness_needs_the_token(db, settings):
    url = reverse("console:readiness")
    settings.HEALTHZ_TOKEN = ""
    assert Client().get(url).status_code == 404
    settings.HEALTHZ_TOKEN = TOKEN
    assert Client().get(url).status_code == 403
    assert Client().get(url, headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert "env" not in Client().get(url).content.decode()


def test_readiness_reports_database_cache_and_storage(db, token):
    response = Client().get(reverse("console:readiness") + "?worker=0", headers=token)
    assert response.status_code == 200, response.content
    checks = response.json()["checks"]
    assert checks["database"] == {"ok": True, "vendor": "postgresql"}
    assert checks["cache"]["ok"] and checks["storage"]["ok"]
    assert "worker" not in checks


def test_readiness_answers_503_when_no_worker_answers(db, settings, token):
    from config.celery import app

    app.control.purge()
    settings.HEALTHZ_WORKER_TIMEOUT = 1
    response = Client().get(reverse("console:readiness"), headers=token)
    assert response.status_code == 503
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is False and set(worker["queues"]) == {"default", "review", "fusion", "billing", "video-prep",
                                                                     "video"}
    assert all(q == {"ok": False, "error": "TimeoutError"} for q in worker["queues"].values())
    app.control.purge()


@pytest.mark.worker
def test_readiness_round_trips_a_task_through_every_queue(celery_worker_process, token):
    response = Client().get(reverse("console:readiness"), headers=token)
    assert response.status_code == 200, response.content
    queues = response.json()["checks"]["worker"]["queues"]
    assert set(queues) == {"default", "review", "fusion", "billing", "video-prep", "video"}
    assert all(q["ok"] and q["round_trip_ms"] >= 0 for q in queues.values())


def test_it_refuses_other_methods(db, token):
    assert Client().post(reverse("console:healthz")).status_code == 405
    assert Client().post(reverse("console:readiness"), headers=token).status_code == 405
