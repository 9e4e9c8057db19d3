"""GET /healthz/: database, cache and a real task round trip to a Celery worker."""

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_it_reports_database_and_cache_without_signing_in():
    response = Client().get(reverse("console:healthz") + "?worker=0")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["checks"]["database"] == {"ok": True, "vendor": "postgresql"}
    assert body["checks"]["cache"]["ok"] is True
    assert "worker" not in body["checks"]
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_when_no_worker_answers(settings):
    from config.celery import app

    app.control.purge()
    settings.HEALTHZ_WORKER_TIMEOUT = 1
    response = Client().get(reverse("console:healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False and body["checks"]["worker"] == {"ok": False, "error": "TimeoutError"}
    assert body["checks"]["database"]["ok"] is True
    app.control.purge()


@pytest.mark.worker
def test_it_round_trips_a_task_through_a_real_worker(celery_worker_process):
    response = Client().get(reverse("console:healthz"))
    assert response.status_code == 200, response.content
    worker = response.json()["checks"]["worker"]
    assert worker["ok"] is True and worker["round_trip_ms"] >= 0


def test_it_refuses_other_methods(db):
    assert Client().post(reverse("console:healthz")).status_code == 405
