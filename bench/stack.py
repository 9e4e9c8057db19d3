"""A whole Ronghe deployment on one machine, for the API benchmark, the fault tests and the cluster test.

PostgreSQL and Redis of its own (on given ports, in a temporary folder: they can be restarted or
killed without touching anybody else's), and the production commands: ``scripts/web.sh``
(gunicorn) and ``scripts/worker.sh`` (fusion, tasks, video, beat). A bench tenant with an API key
and an approved material, and a signed FuseFace client.

    with Stack(pg_port=5443, redis_port=6395, web_port=8151) as stack:
        stack.start()
        code, ms, request_id = stack.fuse()
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

REPO = Path(__file__).resolve().parents[1]
FACES = REPO / "tests" / "faces"
PY = sys.executable
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name),
             default=Path("/usr/lib/postgresql/bin"))

SETUP = r"""
import json, sys, django
django.setup()
from pathlib import Path
from console import services
from console.models import ApiCredential, Member, Role
from campaigns.models import Campaign
from campaigns.services import campaign_create
from materials.models import Material
from materials.review import material_review_run
from materials.services import material_create
from billing.models import PriceItem, PriceKind
from billing.prices import price_list_ensure
from billing.selectors import fuseface_qps_limit
from billing.services import balance_top_up, order_create
from django.core.files.storage import default_storage
from bench.stack import material_bytes

username, qps = sys.argv[2], int(sys.argv[3])
owner = Member.objects.filter(user__username=username).select_related("account").first()
if owner is None:
    account = services.account_create(name=username, owner_username=username,
                                      owner_password="bench-password-123", owner_email="")
    owner = Member.objects.get(account=account, role=Role.OWNER)
account = owner.account
ApiCredential.objects.filter(member=owner).delete()  # keys are shown once: a fresh one per run
key = services.credential_create(member=owner, description="bench")
campaign = Campaign.objects.filter(account=account).first() or campaign_create(
    account=account, actor=owner.user, name="bench")
material = Material.objects.filter(campaign=campaign).first()
if material is not None and not default_storage.exists(material.image.name):
    material.delete()  # its file went with an earlier media folder
    material = None
material = material or material_create(
    account=account, campaign=campaign, actor=owner.user, data=material_bytes(sys.argv[1]),
    filename=Path(sys.argv[1]).name)
material = material_review_run(material_id=material.id) or material
if fuseface_qps_limit(account=account) < qps:  # bought QPS, so a run measures the server, not the limit
    price_list_ensure()
    item = PriceItem.objects.filter(kind=PriceKind.QPS, active=True).first()
    balance_top_up(account=account, amount_fen=item.price_fen * 10, actor=None, note="bench")
    order_create(account=account, price_code=item.code, quantity=10, actor=None)
print(json.dumps({"sid": key.credential.secret_id, "skey": key.secret_key, "project": campaign.project_id,
                  "model": material.model_id, "usable": material.is_usable, "account": account.id}))
"""


def material_bytes(path: str | Path) -> bytes:
    """The photo as a valid material upload (≤ 1080 px, ≤ 500 KB), keeping its format when it fits."""
    import io

    from PIL import Image

    data = Path(path).read_bytes()
    original = Image.open(io.BytesIO(data))
    if max(original.size) <= 1080 and len(data) <= 500 * 1024:
        return data
    img = original.convert("RGB")
    img.thumbnail((1080, 1080))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def web_command() -> list[str]:
    """The production web command (gunicorn), as systemd, the container and ``make run`` run it."""
    return ["bash", "scripts/web.sh"]


def worker_command(role: str) -> list[str]:
    """The production worker command of ``role`` (fusion, tasks, video or beat)."""
    return ["bash", "scripts/worker.sh", role]


def _wait(check, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready within {seconds} s")


@dataclass
class Tenant:
    sid: str
    skey: str
    project: str
    model: str
    account: int


@dataclass
class Stack:
    """``pg_port``/``redis_port`` None: use ``database_url``/``redis_url`` as given (the bench on the
    machine's own services); otherwise start private servers there. ``redis_url`` "" is the embedded
    default (SQLite, filesystem broker)."""

    web_port: int
    pg_port: int | None = None
    redis_port: int | None = None
    database_url: str = ""
    redis_url: str = ""
    env_extra: dict[str, str] = field(default_factory=dict)
    gunicorn_workers: int = 2
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="ronghe-stack-")))
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    # --- services ------------------------------------------------------------------------------

    @property
    def pg_data(self) -> Path:
        return self.root / "pg"

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *args], check=check, capture_output=True, text=True)

    def pg_init(self) -> None:
        self.pg_data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.pg_data, "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.pg_data), "-A", "trust", "-U", "postgres",
                          "--no-sync", "-E", "UTF8")
        self.database_url = f"postgresql://postgres@127.0.0.1:{self.pg_port}/ronghe"

    def pg_start(self) -> None:
        opts = (f"-p {self.pg_port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.pg_data} "
                "-c fsync=off -c max_connections=200")
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data), "-o", opts, "-l",
                          str(self.pg_data / "log"), "-w", "start")

    def pg_stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data), "-m", mode, "-w", "stop", check=False)

    def redis_start(self) -> None:
        (self.root / "redis").mkdir(exist_ok=True)
        # appendonly: the broker's queues survive a restart, as a production broker's must.
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(self.redis_port),
                        "--dir", str(self.root / "redis"), "--save", "", "--appendonly", "yes",
                        "--appendfsync", "everysec", "--logfile", str(self.root / "redis" / "log"),
                        "--pidfile", str(self.root / "redis" / "pid")], check=True)
        _wait(lambda: subprocess.run(["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True,
                                     text=True).stdout.strip() == "PONG", "redis", 10)

    def redis_stop(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.redis_port), "shutdown"], capture_output=True)
        pidfile = self.root / "redis" / "pid"
        _wait(lambda: not pidfile.exists(), "redis shutdown", 10)

    # --- the application ----------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_", "CELERY_"))}
        env.update({"DJANGO_ENV": "test", "DJANGO_SETTINGS_MODULE": "config.settings",
                    "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url,
                    "RONGHE_VAR_DIR": str(self.root / "var"), "MEDIA_ROOT": str(self.root / "var" / "media"),
                    "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1", **self.env_extra})
        if not self.redis_url:
            env.pop("REDIS_URL")
        if not self.database_url:
            env.pop("DATABASE_URL")
        return env

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run([PY, *args], cwd=REPO, env=self.env(), input=stdin, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"{args[:3]} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def create_database(self) -> None:
        if self.database_url:
            import psycopg

            base, name = self.database_url.rsplit("/", 1)
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
                    conn.execute(f'create database "{name}"')

    def migrate(self) -> None:
        self.create_database()
        self.manage("manage.py", "migrate", "--noinput", "-v", "0")

    def release(self) -> None:
        """The production release step, scripts/release.sh: migrate, collectstatic, check --deploy."""
        self.create_database()
        result = subprocess.run(["bash", "scripts/release.sh"], cwd=REPO, env=self.env(), capture_output=True,
                                text=True)
        if result.returncode:
            raise RuntimeError(f"scripts/release.sh failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")

    def tenant(self, username: str = "bench-owner", qps: int = 100, template: str = "astronaut_collins.png") -> Tenant:
        """A tenant with a fresh key and an approved material (each tenant its own template: the review
        flags a copy of another account's material)."""
        out = self.manage("-c", SETUP, str(FACES / template), username, str(qps))
        data = json.loads(out.strip().splitlines()[-1])
        if not data.pop("usable"):
            raise RuntimeError("the bench material was not approved")
        return Tenant(**data)

    def _spawn(self, name: str, args: list[str], **env: str) -> subprocess.Popen:
        log = (self.root / f"{name}.log").open("ab")
        # A process group of its own: killing a worker kills its pool children with it.
        proc = subprocess.Popen(args, cwd=REPO, env={**self.env(), **env}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def start_web(self, name: str = "web", port: int | None = None, *, wait: bool = True) -> subprocess.Popen:
        """scripts/web.sh on 127.0.0.1:``port`` (default ``web_port``), as process ``name``."""
        port = port or self.web_port
        proc = self._spawn(name, [*web_command(), "--log-level", "warning"], WEB_BIND=f"127.0.0.1:{port}",
                           WEB_WORKERS=str(self.gunicorn_workers))
        if wait:
            self.wait_web(port)
        return proc

    def wait_web(self, port: int, seconds: float = 60) -> None:
        import requests

        _wait(lambda: requests.get(f"http://127.0.0.1:{port}/healthz/?worker=0", timeout=2).status_code in (200, 503),
              "gunicorn", seconds)

    def start_worker(self, role: str, name: str | None = None) -> subprocess.Popen:
        """``role``: fusion, tasks, video or beat — the production commands of scripts/worker.sh; ``name``
        (default the role) tells two workers of one role apart."""
        return self._spawn(name or role, worker_command(role))

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def log(self, name: str) -> str:
        path = self.root / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self, *, workers: tuple[str, ...] = ("fusion", "tasks", "video", "beat")) -> None:
        if self.pg_port is not None:
            self.pg_init()
            self.pg_start()
        if self.redis_port is not None:
            self.redis_start()
            self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.migrate()
        for role in workers:
            self.start_worker(role)
        self.start_web()

    def stop(self) -> None:
        for name in list(self.procs):
            with contextlib.suppress(Exception):
                self.kill(name, signal.SIGTERM)
        for name in list(self.procs):
            self.kill(name)
        if self.redis_port is not None:
            self.redis_stop()
        if self.pg_port is not None:
            self.pg_stop("immediate")
        if not os.environ.get("STACK_KEEP"):  # keep the logs and data to look at after a failure
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- calls ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def fuse_body(self, tenant: Tenant, *, rsp: str = "base64", photo: str = "obama2.jpg") -> bytes:
        image = base64.b64encode((FACES / photo).read_bytes()).decode()
        return json.dumps({"ProjectId": tenant.project, "ModelId": tenant.model, "RspImgType": rsp,
                           "MergeInfos": [{"Image": image}], "LogoAdd": 1}).encode()

    def call(self, tenant: Tenant, body: bytes, *, action: str = "FuseFace", session=None,
             timeout: float = 60) -> tuple[str, float, str]:
        """One signed call: (result code, milliseconds, RequestId). A transport failure is ("HTTP:...", ms, "")."""
        import requests

        from api.tc3 import authorization_header

        host = f"127.0.0.1:{self.web_port}"
        ts = int(time.time())
        auth = authorization_header(secret_id=tenant.sid, secret_key=tenant.skey, body=body, host=host, timestamp=ts)
        started = time.perf_counter()
        try:
            r = (session or requests).post(f"{self.url}/", data=body, timeout=timeout, headers={
                "Content-Type": "application/json", "Authorization": auth, "X-TC-Action": action,
                "X-TC-Version": "2022-09-27", "X-TC-Timestamp": str(ts), "X-TC-Region": "ap-guangzhou"})
            resp = r.json()["Response"]
        except Exception as exc:
            return f"HTTP:{exc.__class__.__name__}", (time.perf_counter() - started) * 1000, ""
        return resp.get("Error", {}).get("Code", "Success"), (time.perf_counter() - started) * 1000, resp["RequestId"]

    def sql(self, query: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()
