"""The cluster test's deployment (`make cluster-test`): the deploy layout of deploy/README.md on this
machine, every process a separate one started with the deploy files' own command (layout.py):

- nginx (Debian's package) with deploy/nginx/ronghe.conf, TLS on a self-signed certificate, in front
  of two web nodes (scripts/web.sh);
- two fusion workers, one worker for the other queues, the video worker and beat (scripts/worker.sh);
- scripts/release.sh (migrate, collectstatic, check --deploy) before them;
- PostgreSQL and Redis of its own (bench/stack.py, as the fault tests), S3 through moto's server;
- the variables of deploy/ronghe.env, production profile included, with this machine's addresses.

Ports (the CLUSTER_* variables change them): PostgreSQL 5450, Redis 6400, web 8160 and 8161, nginx
8170 (HTTPS) and 8171 (HTTP), S3 5060.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bench.stack import FACES, PY, Stack, Tenant, _wait
from tests.cluster.layout import LAYOUT, WEB_NODES, cluster_env, nginx_site

HEALTHZ_TOKEN = secrets.token_hex(16)
# The sweepers every 5 s (60 s in the env file), so billing's catching up is quick to watch.
SWEEP_SECONDS = 5
SETTLE_AFTER_SECONDS = 5
BUCKET = "ronghe-cluster"
S3_KEY = "cluster-access-key"
S3_SECRET = "cluster-secret-key"  # moto accepts any credentials; the app signs with these


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _accepts(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


@dataclass
class Cluster(Stack):
    """bench/stack.py's Stack (PostgreSQL, Redis, the production commands) with moto's S3, two web
    nodes and nginx in front of them."""

    web_ports: tuple[int, int] = (8160, 8161)
    https_port: int = 8170
    http_port: int = 8171
    s3_port: int = 5060
    owner: Tenant | None = None

    @property
    def s3_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    @property
    def public(self) -> str:
        """What clients reach: nginx's TLS port."""
        return f"127.0.0.1:{self.https_port}"

    @property
    def cert(self) -> Path:
        return self.root / "tls" / "cert.pem"

    def s3(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.s3_endpoint, region_name="us-east-1",
                            aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET)

    def start_s3(self) -> None:
        self._spawn("s3", [PY, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.s3_port)])

    def make_bucket(self) -> None:
        _wait(lambda: self.s3().create_bucket(Bucket=BUCKET), "moto's S3 server", 30)

    def tls(self) -> None:
        (self.root / "tls").mkdir()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(self.root / "tls" / "key.pem"), "-out", str(self.cert)],
                       check=True, capture_output=True)

    def start_nginx(self) -> None:
        """Debian's nginx binary with the deploy site, under a main configuration of its own (pid, logs
        and temporary files in the cluster's folder) in place of /etc/nginx/nginx.conf."""
        conf = self.root / "nginx"
        conf.mkdir()
        (conf / "ronghe.conf").write_text(nginx_site(
            upstreams=self.web_ports, https_port=self.https_port, http_port=self.http_port, cert=self.cert,
            key=self.root / "tls" / "key.pem", static_parent=Path(self.env_extra["STATIC_ROOT"]).parent))
        user = "user root;" if os.geteuid() == 0 else ""  # the cluster's folder is private to this user
        temp = " ".join(f"{kind}_temp_path {conf / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                        "scgi"))
        (conf / "nginx.conf").write_text(f"""{user}
daemon off;
worker_processes 1;  # one round robin: calls alternate between the web nodes
pid {conf / "nginx.pid"};
error_log {conf / "error.log"} warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    log_format upstreams '$msec $request_time $request_method $status "$upstream_addr"';
    access_log {conf / "access.log"} upstreams;
    {temp}
    include {conf / "ronghe.conf"};
}}
""")
        subprocess.run(["nginx", "-t", "-q", "-c", str(conf / "nginx.conf")], check=True, capture_output=True)
        self._spawn("nginx", ["nginx", "-c", str(conf / "nginx.conf")])
        _wait(lambda: _accepts(self.https_port), "nginx", 10)

    def upstreams(self) -> list[tuple[float, str, str, list[int]]]:
        """nginx's access log: (when the request came, method, status, the web ports nginx tried in
        order) per request."""
        rows = []
        for line in (self.root / "nginx" / "access.log").read_text().splitlines():
            ended, took, method, status, tried = line.split(" ", 4)
            ports = [int(part.rsplit(":", 1)[1]) for part in tried.strip('"').split(", ") if ":" in part]
            rows.append((float(ended) - float(took), method, status, ports))
        return rows

    def start_cluster(self, tenant_name: str) -> None:
        started = time.monotonic()
        self.tls()
        self.start_s3()
        self.pg_init()
        self.pg_start()
        self.redis_start()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        # The workers boot (Django, the face models) while the release step runs: none touches a table
        # before a task comes. Beat, which sends them, and the web nodes, which serve the static files
        # collectstatic writes, start after it, as deploy/README.md orders them.
        after_release = {*WEB_NODES, "beat"}
        for name, command in LAYOUT:
            if name not in after_release:
                self._spawn(name, command)
        self.make_bucket()
        services = time.monotonic()
        self.release()
        released = time.monotonic()
        ports = dict(zip(WEB_NODES, self.web_ports, strict=True))
        for name, command in LAYOUT:
            if name in ports:
                self.start_web(name, ports[name], wait=False)
            elif name in after_release:
                self._spawn(name, command)
        self.owner = self.tenant(tenant_name, qps=100)  # meanwhile the processes start
        tenant = time.monotonic()
        for port in self.web_ports:
            self.wait_web(port, 90)
        self.start_nginx()
        print(f"cluster: started in {time.monotonic() - started:.0f} s (PostgreSQL, Redis, S3 "
              f"{services - started:.0f} s, release {released - services:.0f} s, tenant {tenant - released:.0f} s, "
              f"web nodes and nginx {time.monotonic() - tenant:.0f} s; load average {os.getloadavg()[0]:.1f})")

    # --- the official SDK, through nginx ---------------------------------------------------------

    def sdk_client(self, tenant: Tenant):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.facefusion.v20220927 import facefusion_client

        profile = ClientProfile(httpProfile=HttpProfile(protocol="https", endpoint=self.public,
                                                        certification=str(self.cert), reqTimeout=60))
        return facefusion_client.FacefusionClient(credential.Credential(tenant.sid, tenant.skey), "ap-guangzhou",
                                                  profile)


@dataclass
class Call:
    code: str
    request_id: str
    url: str
    started: float  # monotonic
    ended: float


# The SDK's codes for "no API answer": an HTTP status other than 200 (nginx's 502), or no response.
TRANSPORT_CODES = ("ServerNetworkError", "ClientNetworkError")


class SdkLoad:
    """``clients`` threads, each with its own official SDK client, calling FuseFace (RspImgType url)
    through nginx back to back until stopped."""

    def __init__(self, cluster: Cluster, tenant: Tenant, *, clients: int = 4, photo: str = "obama2.jpg") -> None:
        self.cluster, self.tenant, self.clients = cluster, tenant, clients
        self.image = base64.b64encode((FACES / photo).read_bytes()).decode()
        self.calls: list[Call] = []
        self.stopped = threading.Event()
        self.threads: list[threading.Thread] = []

    def call(self, client) -> Call:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.facefusion.v20220927 import models

        req = models.FuseFaceRequest()
        req.ProjectId, req.ModelId, req.RspImgType = self.tenant.project, self.tenant.model, "url"
        merge = models.MergeInfo()
        merge.Image = self.image
        req.MergeInfos = [merge]
        started = time.monotonic()
        try:
            resp = client.FuseFace(req)
            code, request_id, url = "Success", resp.RequestId, resp.FusedImage
        except TencentCloudSDKException as exc:
            code, request_id, url = exc.get_code(), exc.get_request_id() or "", ""
        return Call(code, request_id, url, started, time.monotonic())

    def successes_since(self, at: float) -> int:
        """Successful calls that started after ``at`` (monotonic)."""
        return sum(c.code == "Success" and c.started > at for c in self.calls)

    def _client(self) -> None:
        client = self.cluster.sdk_client(self.tenant)
        while not self.stopped.is_set():
            self.calls.append(self.call(client))

    def __enter__(self) -> SdkLoad:
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(self.clients)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=90)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    given = os.environ.get("CLUSTER_ROOT")  # with STACK_KEEP=1, where to find the logs afterwards
    root = Path(given) if given else Path(tempfile.mkdtemp(prefix="ronghe-cluster-"))
    root.mkdir(parents=True, exist_ok=True)
    web_ports = (_port("CLUSTER_WEB_PORT", 8160), _port("CLUSTER_WEB_PORT", 8160) + 1)
    pg_port, redis_port, s3_port = _port("CLUSTER_PG_PORT", 5450), _port("CLUSTER_REDIS_PORT", 6400), \
        _port("CLUSTER_S3_PORT", 5060)
    https_port = _port("CLUSTER_NGINX_PORT", 8170)
    var = root / "var"
    env = cluster_env(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50), CREDENTIAL_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="127.0.0.1", PUBLIC_BASE_URL=f"https://127.0.0.1:{https_port}",
        HEALTHZ_TOKEN=HEALTHZ_TOKEN, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{pg_port}/ronghe",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=f"http://127.0.0.1:{s3_port}", S3_ACCESS_KEY_ID=S3_KEY, S3_SECRET_ACCESS_KEY=S3_SECRET,
        RONGHE_VAR_DIR=str(var), STATIC_ROOT=str(var / "static"),
        # One process per web node and per worker: two of each on two cores, as one-core hosts would run.
        WEB_WORKERS="1", WORKER_CONCURRENCY="1", TASKS_CONCURRENCY="1", VIDEO_CONCURRENCY="1",
        SWEEP_INTERVAL_SECONDS=str(SWEEP_SECONDS), BILLING_SWEEP_AFTER_SECONDS=str(SETTLE_AFTER_SECONDS),
        HEALTHZ_WORKER_TIMEOUT="3", EMAIL_HOST="")
    with Cluster(web_port=web_ports[0], pg_port=pg_port, redis_port=redis_port, web_ports=web_ports,
                 https_port=https_port, http_port=https_port + 1, s3_port=s3_port, env_extra=env, root=root,
                 gunicorn_workers=int(env["WEB_WORKERS"])) as running:
        running.start_cluster("cluster-owner")
        yield running


@pytest.fixture(scope="module")
def tenant(cluster: Cluster) -> Tenant:
    assert cluster.owner is not None
    return cluster.owner


def wait_for_success(cluster: Cluster, tenant: Tenant, seconds: float) -> float:
    """Calls through nginx until one succeeds (the fusion workers have loaded their models)."""
    load = SdkLoad(cluster, tenant)
    client = cluster.sdk_client(tenant)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if load.call(client).code == "Success":
            return time.monotonic() - started
        time.sleep(0.3)
    raise AssertionError(f"no successful FuseFace through nginx within {seconds} s")
