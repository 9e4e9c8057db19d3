"""Log lines carry the request's context (RequestId, AppID, action, job id), and are JSON objects, one
a line, with LOG_FORMAT=json."""

import json
import os
import subprocess
import sys

import pytest

from observability.context import ContextFilter
from tests.conftest import REPO, login


@pytest.mark.urls("tests.observability.urls")
def test_it_gives_a_console_request_its_request_id_and_the_accounts_app_id(caplog, alice):
    caplog.handler.addFilter(ContextFilter())
    login(alice.owner).get("/logs/")
    (record,) = [r for r in caplog.records if r.getMessage() == "a line from the view"]
    assert len(record.request_id) == 36
    assert record.app_id == str(alice.account.app_id)
    caplog.clear()
    login(alice.owner).get("/logs/")
    (again,) = [r for r in caplog.records if r.getMessage() == "a line from the view"]
    assert again.request_id != record.request_id  # each request its own


def test_it_writes_json_lines_with_the_context_when_log_format_is_json():
    script = ("import django, logging; django.setup()\n"
              "from observability import context\n"
              "with context.scope(request_id='req-1', action='FuseFace'):\n"
              "    context.bind(app_id=1300000001, job_id='job-9')\n"
              "    logging.getLogger('fusion.services').warning('任务 %s', 'done')\n"
              "logging.getLogger('x').warning('outside')\n")
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    inside, outside = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert inside["message"] == "任务 done" and inside["level"] == "WARNING" and inside["logger"] == "fusion.services"
    assert (inside["request_id"], inside["app_id"], inside["action"], inside["job_id"]) == (
        "req-1", "1300000001", "FuseFace", "job-9")
    assert (outside["request_id"], outside["job_id"]) == ("", "")


def test_it_refuses_an_unknown_log_format():
    env = {**os.environ, "LOG_FORMAT": "xml", "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "LOG_FORMAT must be text or json" in done.stderr
