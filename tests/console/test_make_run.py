"""`make run` on a fresh machine: no database, Redis or S3 configured. The sign-in page answers,
the demo owner signs in over HTTP, and /healthz/ready/ reports a task round trip through the worker."""

import os
import re
import signal
import socket
import subprocess
import time

import pytest
import requests

from tests.conftest import REPO

pytestmark = pytest.mark.worker

SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "S3_BUCKET",
                     "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "MEDIA_ROOT", "DJANGO_ENV",
                     "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, log, deadline_s: float = 120) -> requests.Response:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("scripts/run.sh exited early:\n" + log.read_text())
        try:
            response = requests.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except requests.RequestException:  # not listening yet, or still booting
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {deadline_s} s:\n" + log.read_text())


def test_it_serves_the_console_with_a_worker_on_the_embedded_default(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env.update(PORT=str(port), RONGHE_VAR_DIR=str(tmp_path / "var"), HEALTHZ_WORKER_TIMEOUT="20",
               HEALTHZ_TOKEN="make-run-readiness-token")
    log = tmp_path / "run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        page = _wait_for(base + "/login/", proc, log)
        assert "登录" in page.text
        output = log.read_text()
        owner = re.search(r"owner\s+(\S+) / (\S+)", output)
        assert owner, output

        session = requests.Session()
        form = session.get(base + "/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        signed_in = session.post(base + "/login/", data={"csrfmiddlewaretoken": token, "username": owner.group(1),
                                                         "password": owner.group(2)},
                                 headers={"Referer": base + "/login/"}, timeout=10)
        assert signed_in.status_code == 200 and signed_in.url == base + "/overview/", signed_in.url
        assert "AppID" in signed_in.text

        health = session.get(base + "/healthz/ready/", timeout=30,
                             headers={"Authorization": "Bearer make-run-readiness-token"})
        body = health.json()
        assert health.status_code == 200, body
        assert body["checks"]["database"]["vendor"] == "sqlite"
        assert body["checks"]["worker"]["ok"] is True
        assert (tmp_path / "var" / "ronghe.sqlite3").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Worker pool children and gunicorn workers finish their own shutdown a moment after run.sh.
    deadline = time.monotonic() + 20
    while (leftovers := _group_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if leftovers:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not leftovers, f"processes left behind 20 s after SIGTERM: {leftovers}"


def _group_members(pgid: int) -> list[str]:
    return subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()
