"""Every official client works: the real Python SDK and the real Node.js SDK (pinned in
tests/package.json, installed by `make test`) against a live stack — gunicorn and a Celery worker —
with the endpoint given in each of the three forms customers use:

- ``127.0.0.1:PORT``: the Node.js SDK signs the service ``127`` and the host without the port;
- ``facefusion.ronghe.test:PORT``: the service ``facefusion``, the host without the port;
- ``ronghe.test`` on port 80 (where the test can bind it): the service ``ronghe``.

Each client makes the same calls (CALLS below), FuseFaceUltra's with a base64 template and a base64
reply, and with a template by URL (from an image server the deployment lets the API fetch from,
API_FETCH_ALLOW) and a url reply."""

from __future__ import annotations

import base64
import contextlib
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.api.conftest import ImageServer, approved_material, make_key
from tests.conftest import REPO

pytestmark = [pytest.mark.worker]

HERE = Path(__file__).resolve().parent
PORT = 8143
NAMES = {"facefusion.ronghe.test": "127.0.0.1", "ronghe.test": "127.0.0.1"}
PNG_MAGIC = "89504e47"  # the template is a PNG, and so is every result made from it


@dataclass(frozen=True)
class Form:
    name: str
    endpoint: str
    port: int


FORMS = [Form("ip-port", f"127.0.0.1:{PORT}", PORT),
         Form("facefusion-host-port", f"facefusion.ronghe.test:{PORT}", PORT),
         Form("bare-host-port-80", "ronghe.test", 80)]


def _expect(*, model_id: str) -> dict[str, dict[str, object]]:
    """What each call must answer, field by field (the same table for both clients' CALLS)."""
    return {
        "DescribeMaterialList": {"ok": True, "Count": 1, "MaterialId": model_id, "MaterialStatus": 21},
        "FuseFaceBase64": {"ok": True, "magic": PNG_MAGIC},
        "FuseFaceUrl": {"ok": True, "status": 200, "magic": PNG_MAGIC},
        "FuseFaceUltraBase64": {"ok": True, "magic": PNG_MAGIC},
        "FuseFaceUltraUrl": {"ok": True, "status": 200, "magic": PNG_MAGIC},
        "WrongSecretKey": {"ok": True, "code": "AuthFailure.SignatureFailure"},
        "SkewedClock": {"ok": True, "code": "AuthFailure.SignatureExpire"},
    }


CALLS = list(_expect(model_id=""))


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EADDRINUSE, errno.EPERM):
                return False
            raise
    return True


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    server = ImageServer()  # FuseFaceUltra's ModelUrl points at it
    yield server
    server.close()


@pytest.fixture
def live_stack(celery_worker_process, image_server, settings) -> Iterator[list[Form]]:
    """gunicorn on PORT, and on port 80 when this process may bind it; yields the forms it serves.
    One stack at a time on this machine (a file lock): test processes running side by side would
    otherwise bind the same fixed ports, and a test could talk to another's gunicorn."""
    import fcntl

    with open("/tmp/ronghe-compat-ports.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield from _live_stack(image_server)


def _live_stack(image_server: ImageServer) -> Iterator[list[Form]]:
    from django.conf import settings as dj_settings
    from django.db import connection

    forms = [f for f in FORMS if f.port == PORT or _port_free(f.port)]
    env = dict(os.environ)
    env["DATABASE_URL"] = f"{env['DATABASE_URL'].rsplit('/', 1)[0]}/{connection.settings_dict['NAME']}"
    env["MEDIA_ROOT"] = str(dj_settings.MEDIA_ROOT)
    env["API_FETCH_ALLOW"] = f"127.0.0.1:{image_server.port}"
    module, attr = dj_settings.WSGI_APPLICATION.rsplit(".", 1)
    binds = [arg for port in sorted({f.port for f in forms}) for arg in ("--bind", f"127.0.0.1:{port}")]
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", f"{module}:{attr}", *binds, "--workers", "1",
                             "--threads", "4", "--timeout", "60", "--log-level", "warning"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail("gunicorn exited at start:\n" + (proc.stdout.read() if proc.stdout else ""))
            try:
                requests.get(f"http://127.0.0.1:{PORT}/healthz/", timeout=5)
                break
            except requests.RequestException:  # not listening yet, or still importing the app
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not listen within 30 s")
                time.sleep(0.2)
        yield forms
    finally:
        # The whole process group: a master killed alone leaves its workers serving the fixed ports
        # with this test's database, and the next test would talk to them.
        os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _node() -> list[str]:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None or not (REPO / "tests" / "node_modules" / "tencentcloud-sdk-nodejs").is_dir():
        pytest.fail("Node.js or tencentcloud-sdk-nodejs is missing: `make test` installs both (tests/package.json)")
    return [node, str(HERE / "node_client.js")]


CLIENTS = {"python": lambda: [sys.executable, str(HERE / "python_client.py")], "node": _node}


def _run(command: list[str], plan: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    done = subprocess.run(command, input=json.dumps(plan), capture_output=True, text=True, timeout=120, env=env,
                          cwd=HERE)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["results"]


def test_every_official_client_works_with_every_endpoint_form(live_stack, image_server, alice, operator, faces_dir):
    from billing.services import ultra_access_set

    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    ultra_access_set(account=alice.account, action="enable", actor=operator)
    key = make_key(alice.developer)
    photo = base64.b64encode((faces_dir / "obama2.jpg").read_bytes()).decode()
    template = (faces_dir / "astronaut_collins.png").read_bytes()
    template_url = image_server.put("/poster.png", template)
    if len(live_stack) < len(FORMS):
        print("port 80 cannot be bound here: the bare host name form is not run")

    failures: list[str] = []
    timings: list[str] = []
    last_listing = 0.0
    for client_name, command in CLIENTS.items():
        for form in live_stack:
            plan = {"endpoint": form.endpoint, "secretId": key.secret_id, "secretKey": key.secret_key,
                    "region": "ap-guangzhou", "projectId": material.campaign.project_id,
                    "modelId": material.model_id, "photoBase64": photo, "resolve": NAMES, "calls": CALLS,
                    "templateBase64": base64.b64encode(template).decode(), "templateUrl": template_url}
            # DescribeMaterialList is limited to 1 call per second per account; each plan starts with it.
            time.sleep(max(0.0, last_listing + 1.05 - time.monotonic()))
            last_listing = time.monotonic()
            results = _run(command(), plan)
            for call, expected in _expect(model_id=material.model_id).items():
                got = results.get(call, {})
                wrong = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
                if wrong:
                    failures.append(f"{client_name} {form.name} {call}: {wrong} {got.get('message', '')}")
            for call in ("FuseFaceUrl", "FuseFaceUltraUrl"):
                url_host = results.get(call, {}).get("host")
                if url_host not in (None, form.endpoint):
                    failures.append(f"{client_name} {form.name} {call}: the link points at {url_host}")
            timings.append(f"{client_name:6} {form.name:21} " + " ".join(f"{c}={results.get(c, {}).get('ms')}ms"
                                                                          for c in CALLS))
    print("\n".join(timings))
    assert not failures, "\n".join(failures)


def _readme_snippet(language: str) -> str:
    text = (REPO / "README.md").read_text()
    after = text.split(f"<!-- client-snippet: {language} -->", 1)[1]
    return after.split("\n", 2)[2].split("```", 1)[0]


def test_the_readme_client_snippets_work_as_written(live_stack, alice, faces_dir, tmp_path):
    material = approved_material(alice, faces_dir / "astronaut_collins.png")
    key = make_key(alice.developer)
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env.update(RONGHE_ENDPOINT=f"127.0.0.1:{PORT}", RONGHE_SECRET_ID=key.secret_id, RONGHE_SECRET_KEY=key.secret_key,
               RONGHE_PROJECT_ID=material.campaign.project_id, RONGHE_PHOTO=str(faces_dir / "obama2.jpg"),
               NODE_PATH=str(REPO / "tests" / "node_modules"))
    runs = {"python": ([sys.executable], "snippet.py", {"RONGHE_PROTOCOL": "http"}),
            "node": (_node()[:1], "snippet.js", {"RONGHE_PROTOCOL": "http://"})}
    for language, (command, filename, extra) in runs.items():
        script = tmp_path / filename
        script.write_text(_readme_snippet(language))
        time.sleep(1.05)  # DescribeMaterialList: 1 call per second per account
        done = subprocess.run([*command, str(script)], capture_output=True, text=True, timeout=120,
                              env={**env, **extra})
        assert done.returncode == 0, (language, done.stdout, done.stderr[-2000:])
        model_id, url = done.stdout.split()
        assert model_id == material.model_id
        fused = requests.get(url, timeout=30)
        assert fused.status_code == 200 and fused.content.startswith(b"\x89PNG"), (language, url)
