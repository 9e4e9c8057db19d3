"""Fixtures shared by the whole suite: two tenants (alice and bob) with a member of every
role, an operator, the real face photos, a real SMTP server (``mailbox``), and helpers to run real
processes."""

import email
import email.policy
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

REPO = Path(__file__).resolve().parents[1]
# A copy of the shared face corpus (public domain, sources in CORPUS.md) travels with the repository,
# so a clean clone anywhere runs the suite.
FACES_DIR = REPO / "tests" / "faces"
PASSWORD = "correct-horse-battery-9"
# The fault tests and the cluster test run deployments of their own on fixed ports: `make chaos` and
# `make cluster-test` collect them, `make test` does not.
collect_ignore = [folder for folder, flag in (("chaos", "RONGHE_CHAOS"), ("cluster", "RONGHE_CLUSTER"))
                  if os.environ.get(flag) != "1"]


@dataclass
class Tenant:
    account: object
    owner: object
    admin: object
    developer: object
    finance: object
    viewer: object

    def member(self, role: str):
        return getattr(self, role)


def _make_tenant(prefix: str, company: str) -> Tenant:
    from console import services
    from console.models import Member, Role

    account = services.account_create(name=company, owner_username=f"{prefix}-owner",
                                      owner_password=PASSWORD, owner_email=f"{prefix}@example.com")
    owner = Member.objects.get(account=account, role=Role.OWNER)
    members = {"owner": owner}
    for role in ("admin", "developer", "finance", "viewer"):
        members[role] = services.member_create(account=account, by=owner, username=f"{prefix}-{role}",
                                               password=PASSWORD, role=role)
    return Tenant(account=account, **members)


@pytest.fixture
def alice(db) -> Tenant:
    return _make_tenant("alice", "Alice 科技")


@pytest.fixture
def bob(db) -> Tenant:
    return _make_tenant("bob", "Bob 传媒")


@pytest.fixture
def operator(db):
    """An operator who has turned on two-step verification, as every operator must before working."""
    from console import services

    user = services.operator_create(username="ops-1", password=PASSWORD)
    mfa_enrol(user)
    return user


# --- two-step verification: codes computed from the secret, as an authenticator app does ----------

def totp_code(key: str, t: int | None = None) -> str:
    """The 6-digit code of the hex secret ``key`` for time step ``t`` (now when None)."""
    from django_otp.oath import hotp

    t = int(time.time()) // 30 if t is None else t
    return f"{hotp(bytes.fromhex(key), t, digits=6):06d}"


def mfa_enrol(user) -> list[str]:
    """Turns two-step verification on for ``user`` through the real enrolment (console/mfa.py),
    typing the code of the secret the enrolment page would show. Returns the recovery codes."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django_otp.util import random_hex

    from console import mfa

    request = RequestFactory().post("/security/mfa/setup/")
    request.user = user
    request.session = SessionStore()
    key = random_hex(20)
    return mfa.totp_enrol(request=request, user=user, key=key, code=totp_code(key))


def next_code(user) -> str:
    """A code the user's device accepts now: each time step's code is accepted once, so after one was
    used this is the next step's (within the tolerance of one step), waiting for the clock if needed."""
    from console import mfa

    device = mfa.totp_device(user)
    assert device is not None, f"{user} has not turned on two-step verification"
    now_t = int(time.time()) // 30
    t = max(now_t, device.last_t + 1)
    if t > now_t + 1:
        time.sleep(max(0.0, (t - 1) * 30 - time.time()) + 0.1)
    return totp_code(device.key, t)


def login(member_or_user) -> Client:
    """A test client signed in as a member (or a bare user such as an operator); a user with two-step
    verification on has passed it in this session, as after typing the code."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from console import mfa

    user = getattr(member_or_user, "user", member_or_user)
    client = Client()
    client.force_login(user)
    device = mfa.totp_device(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def faces_dir() -> Path:
    return FACES_DIR


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path) -> None:
    """Local-file storage in a fresh folder per test (S3 tests override STORAGES themselves)."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = str(media)
    storages = dict(settings.STORAGES)
    if storages["default"]["BACKEND"].endswith("FileSystemStorage"):
        storages["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage",
                               "OPTIONS": {"location": str(media), "base_url": "/media/"}}
        settings.STORAGES = storages


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    from django.core.cache import caches

    # On Redis these clear only this test worker's keys (console.redis_roles.PrefixedRedisCache),
    # so tests running in parallel under xdist keep theirs.
    caches["default"].clear()
    caches["throttle"].clear()
    yield


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package")
    return path


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop; Django refuses ORM calls from such a thread
    # unless told the test process knows what it is doing.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def browser_login(page, username: str, password: str = PASSWORD) -> None:
    """Signs in through the login page, and types the code when the login has two-step verification."""
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    browser_mfa_verify(page, username)


def browser_mfa_verify(page, username: str) -> None:
    """On the code page after the password, types the code the user's authenticator would show."""
    from django.contrib.auth.models import User

    if "/security/mfa/verify/" not in page.url:
        return
    page.fill("#id_code", next_code(User.objects.get(username=username)))
    page.click("[data-testid=mfa-verify]")
    page.wait_for_url(lambda url: "/security/mfa/verify/" not in url)
    page.wait_for_load_state("networkidle")


def wait_until(page, predicate: str, *, timeout_ms: int = 15_000) -> None:
    """Polls ``predicate`` (a JavaScript function) until it is truthy. Playwright's own
    ``wait_for_function`` polls with eval inside the page, which the Content-Security-Policy refuses;
    ``page.evaluate`` runs through the DevTools protocol and is not subject to it."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(predicate):
        if time.monotonic() > deadline:
            raise AssertionError(f"{predicate} stayed false for {timeout_ms} ms on {page.url}")
        page.wait_for_timeout(100)


@pytest.fixture
def celery_worker_process(transactional_db, settings) -> Iterator[subprocess.Popen]:
    """A real Celery worker process on all queues, against the test database and Redis.

    Tests using it must use ``transactional_db`` (data is committed so the worker sees it).
    """
    from django.conf import settings as dj_settings
    from django.db import connection

    from config.celery import app

    env = dict(os.environ)
    db_name = connection.settings_dict["NAME"]
    base = env["DATABASE_URL"].rsplit("/", 1)[0]
    env["DATABASE_URL"] = f"{base}/{db_name}"
    env["MEDIA_ROOT"] = str(dj_settings.MEDIA_ROOT)
    app.control.purge()
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q",
         "default,review,fusion,billing,video-prep,video",
         "--pool", "solo", "--concurrency", "1", "--loglevel", "WARNING", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("Celery worker exited at start:\n" + (proc.stdout.read() if proc.stdout else ""))
        replies = app.control.ping(timeout=0.5)
        if replies:
            break
    else:
        proc.kill()
        pytest.fail("Celery worker did not answer a ping within 60 s")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- mail: a real SMTP server (aiosmtpd) on a free loopback port ------------------------------

@dataclass
class Mailbox:
    """What the SMTP server received, oldest first."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """Mail received so far, after the sends on background threads (password reset) are done."""
        from selfservice.mail import mail_background_wait

        mail_background_wait()
        address = address.lower()
        return [m for m in self.messages if address in m["X-Envelope-To"].lower()]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no mail to {address}; got {[m['X-Envelope-To'] for m in self.messages]}"
        return found[-1]

    def clear(self) -> None:
        self.messages.clear()


def body(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def link_in(msg: EmailMessage, path_fragment: str) -> str:
    for url in re.findall(r"https?://\S+", body(msg)):
        if path_fragment in url:
            return url
    raise AssertionError(f"no link containing {path_fragment!r} in:\n{body(msg)}")


def _free_smtp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[tuple[Mailbox, int]]:
    # aiosmtpd logs every connection at INFO; failures are what matters here.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    mailbox = Mailbox()
    port = _free_smtp_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def mailbox(_smtp_server, settings) -> Mailbox:
    box, port = _smtp_server
    box.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.PUBLIC_BASE_URL = "http://testserver"
    return box
