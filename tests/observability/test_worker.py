"""A FuseFace call followed from web to a real Celery worker: the worker's JSON log line for the job
carries the call's RequestId, AppID, action and job id; the worker's own metrics endpoint adds up its
pool processes' files (multi-process mode); a task's error reaches Sentry without the photo in its
arguments; and every metric the Grafana dashboard and the alert rules name is exported."""

import base64
import json
import os
import re
import subprocess
import sys
import time

import pytest
import requests
import yaml
from django.test import Client

from tests.api.conftest import approved_material, reset_rate_limits, signed_post
from tests.conftest import REPO
from tests.observability.conftest import TOKEN, WORKER_METRICS_PORT, parse, sample, scrape

pytestmark = pytest.mark.worker


@pytest.fixture
def observed_worker(transactional_db, settings, tmp_path, sentry_inbox):
    from django.db import connection

    from config.celery import app

    settings.METRICS_TOKEN = TOKEN
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()  # as the service's start does (README "Observability")
    log_path = tmp_path / "worker.log"
    env = dict(os.environ)
    base = env["DATABASE_URL"].rsplit("/", 1)[0]
    env.update(DATABASE_URL=f"{base}/{connection.settings_dict['NAME']}", MEDIA_ROOT=str(settings.MEDIA_ROOT),
               LOG_FORMAT="json", LOG_LEVEL="INFO", PROMETHEUS_MULTIPROC_DIR=str(multiproc), METRICS_TOKEN=TOKEN,
               METRICS_WORKER_PORT=str(WORKER_METRICS_PORT), SENTRY_DSN=sentry_inbox.dsn)
    app.control.purge()
    with log_path.open("w") as out:
        # A pool process of its own (prefork), so its metrics reach the endpoint through the folder.
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "-Q",
                                 "default,review,fusion,billing", "--pool", "prefork", "--concurrency", "1",
                                 "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while not app.control.ping(timeout=0.5):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the worker did not start:\n" + log_path.read_text())
    proc.log_path, proc.multiproc, proc.sentry = log_path, multiproc, sentry_inbox
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _worker_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def _worker_metrics(token: str = TOKEN) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{WORKER_METRICS_PORT}/metrics", headers={"Authorization": f"Bearer {token}"},
                        timeout=10)


def _names_in_monitoring_files() -> set[str]:
    dashboard = json.loads((REPO / "deploy/monitoring/grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    alerts = yaml.safe_load((REPO / "deploy/monitoring/alerts.yaml").read_text())
    exprs += [rule["expr"] for group in alerts["groups"] for rule in group["rules"]]
    assert all(rule.get("alert") and rule.get("for") for group in alerts["groups"] for rule in group["rules"])
    return {name for expr in exprs for name in re.findall(r"\bronghe_[a-z0-9_]+", expr)}


def test_it_follows_a_fuseface_call_to_the_worker_and_exports_what_the_dashboard_uses(
        observed_worker, alice, alice_key, faces_dir):
    from fusion.models import FusionJob

    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    photo = base64.b64encode((faces_dir / "obama2.jpg").read_bytes()).decode()
    resp = signed_post(Client(), alice_key, "FuseFace", {
        "ProjectId": material.campaign.project_id, "ModelId": material.model_id, "RspImgType": "url",
        "MergeInfos": [{"Image": photo}]})
    assert "Error" not in resp, resp
    request_id = resp["RequestId"]
    job = FusionJob.objects.get(request_id=request_id)

    # The worker's line for the job, found by the RequestId the caller got.
    deadline = time.monotonic() + 15
    while not (lines := [ln for ln in _worker_lines(observed_worker.log_path) if ln.get("request_id") == request_id]):
        assert time.monotonic() < deadline, observed_worker.log_path.read_text()[-3000:]
        time.sleep(0.2)
    finished = next(ln for ln in lines if "finished" in ln["message"])
    assert (finished["app_id"], finished["action"], finished["job_id"]) == (
        str(alice.account.app_id), "FuseFace", str(job.id))
    assert finished["logger"] == "fusion.services.worker" and finished["level"] == "INFO"

    # The worker's endpoint: the pool process's counters, read from the multi-process folder.
    assert _worker_metrics("wrong").status_code == 403
    worker = parse(_worker_metrics().text)
    assert sample(worker, "ronghe_fusion_engine_seconds_count", action="FuseFace") == 1
    assert sample(worker, "ronghe_celery_tasks_total", task="fusion.tasks.run_fusion_job", state="SUCCESS") == 1
    assert any(path.name.startswith("counter_") for path in observed_worker.multiproc.iterdir())

    # The web's endpoint (this process) after a refused call too; together they export every name used.
    reset_rate_limits()
    for _ in range(2):
        signed_post(Client(), alice_key, "DescribeMaterialList", {"Limit": 10})
    web = scrape()
    assert sample(web, "ronghe_fusion_seconds_count", action="FuseFace", code="Success") >= 1
    assert sample(web, "ronghe_queue_consumers", queue="fusion") == 1
    exported = {name for name, _labels in (*web, *worker)}
    missing = _names_in_monitoring_files() - exported
    assert not missing, f"deploy/monitoring names metrics nobody exports: {sorted(missing)}"


def test_it_reports_a_failing_task_to_sentry_without_the_photo_in_its_arguments(observed_worker, faces_dir):
    from fusion.tasks import run_fusion_job

    photo = base64.b64encode((faces_dir / "obama2.jpg").read_bytes()).decode()
    run_fusion_job.delay("not-a-job-id", [photo], None, time.time() + 30)  # not a UUID: the task fails
    envelope = observed_worker.sentry.wait_for(b"ValidationError")
    assert b"fusion.tasks.run_fusion_job" in envelope, envelope[:3000]
    assert photo[:64].encode() not in envelope and photo[1000:1064].encode() not in envelope
