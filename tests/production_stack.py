"""The production profile, started the way README's "Running in production" tells an operator:
the block after ``<!-- production-commands -->`` is read from README.md and run line by line, as
written, with production secrets in the environment. The last line (scripts/web.sh, gunicorn) keeps
running."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from tests.conftest import REPO

PUBLIC_HOST = "ronghe.test"
# What a test process may carry that an operator's shell would not.
_DROPPED = ("DJANGO_ENV", "DJANGO_DEBUG", "DJANGO_SECRET_KEY", "CREDENTIAL_ENCRYPTION_KEY", "DJANGO_ALLOWED_HOSTS",
            "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "STATIC_ROOT", "MEDIA_ROOT")


def readme_production_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    after = text.split("<!-- production-commands -->", 1)[1]
    block = after.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@dataclass
class Stack:
    base_url: str
    log: Path
    env: dict[str, str]

    def get(self, path: str, **kwargs) -> requests.Response:
        headers = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        return requests.get(self.base_url + path, headers=headers, timeout=10, allow_redirects=False, **kwargs)


def _production_env(tmp_path: Path, *, database_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(DJANGO_ENV="production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
               CREDENTIAL_ENCRYPTION_KEY=Fernet.generate_key().decode(),
               DJANGO_ALLOWED_HOSTS=f"{PUBLIC_HOST},127.0.0.1", DATABASE_URL=database_url,
               RONGHE_VAR_DIR=str(tmp_path / "var"), STATIC_ROOT=str(tmp_path / "staticfiles"),
               PUBLIC_BASE_URL=f"https://{PUBLIC_HOST}", PORT=str(port))
    return env


@contextmanager
def production_stack(tmp_path: Path, *, database_url: str, port: int, **extra_env: str) -> Iterator[Stack]:
    env = {**_production_env(tmp_path, database_url=database_url, port=port), **extra_env}
    *steps, serve = readme_production_commands()
    assert "scripts/web.sh" in serve, serve
    log = tmp_path / "production.log"
    for step in steps:
        done = subprocess.run(["bash", "-c", step], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"`{step}` failed:\n{done.stdout}\n{done.stderr}"
    with log.open("w") as out:
        proc = subprocess.Popen(["bash", "-c", f"exec {serve}"], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    stack = Stack(base_url=f"http://127.0.0.1:{port}", log=log, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError("gunicorn exited at start:\n" + log.read_text())
            try:
                stack.get("/healthz/")
                break
            except requests.RequestException:  # not listening yet, or still importing the app
                if time.monotonic() > deadline:
                    raise AssertionError("gunicorn did not listen within 60 s:\n" + log.read_text()) from None
                time.sleep(0.2)
        yield stack
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def live_database_url() -> str:
    """The test database (pytest-django's), for processes started by a test that uses transactional_db."""
    from django.db import connection

    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return f"{base}/{connection.settings_dict['NAME']}"
