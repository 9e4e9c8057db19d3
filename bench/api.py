"""API benchmark: FuseFace latency and throughput through gunicorn and a Celery fusion worker.

    python -m bench.api [--calls N] [--concurrency C] [--seconds S] [--workers W]

Runs against a local PostgreSQL and Redis (``BENCH_DATABASE_URL``, default
postgresql://postgres:postgres@127.0.0.1:5432/ronghe_bench; ``BENCH_REDIS_URL``, default
redis://127.0.0.1:6379/13). It migrates that database, creates a tenant with an API key and an
approved material (the astronaut), starts gunicorn and one fusion worker, then signs real
TC3-HMAC-SHA256 requests over loopback:

* latency: N sequential FuseFace calls (base64 reply), p50/p95 of the round trip;
* throughput: C clients calling back to back for S seconds;
* beside both, the engine's own time per job (``engine_ms``, measured in the worker around
  ``Engine.fuse``), so the difference is the API's overhead: HTTP, signature, lookups, the
  queue hop both ways and the usage record.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FACES = REPO / "tests" / "faces"
PY = sys.executable


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": os.environ.get(
                "BENCH_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/ronghe_bench"
            ),
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
            "LOG_LEVEL": "WARNING",
        }
    )
    # Kept between runs (under the git-ignored var/): the bench tenant and its material are reused.
    var = str(REPO / "var" / "bench-api")
    Path(var).mkdir(parents=True, exist_ok=True)
    env["RONGHE_VAR_DIR"] = var
    env["MEDIA_ROOT"] = str(Path(var) / "media")
    return env


def _ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(f'create database "{name}"')


SETUP = r"""
import json, sys, django
django.setup()
from pathlib import Path
from django.core.cache import cache
from console import services
from console.models import Account, ApiCredential, Member, Role
from campaigns.models import Campaign
from campaigns.services import campaign_create
from materials.models import Material
from materials.review import material_review_run
from materials.services import material_create
from billing.models import PriceItem, PriceKind
from billing.prices import price_list_ensure
from billing.selectors import fuseface_qps_limit
from billing.services import balance_top_up, order_create

cache.clear()
# One bench tenant, reused across runs: a second account with the same template would be flagged
# by the review as a copy of another account's material.
owner = Member.objects.filter(user__username="bench-owner").select_related("account").first()
if owner is None:
    account = services.account_create(name="Bench", owner_username="bench-owner",
                                      owner_password="bench-password-123", owner_email="")
    owner = Member.objects.get(account=account, role=Role.OWNER)
account = owner.account
ApiCredential.objects.filter(member=owner).delete()  # keys are shown once: a fresh one per run
key = services.credential_create(member=owner, description="bench")
campaign = Campaign.objects.filter(account=account).first() or campaign_create(
    account=account, actor=owner.user, name="bench")
material = Material.objects.filter(campaign=campaign).first()
from django.core.files.storage import default_storage
if material is not None and not default_storage.exists(material.image.name):
    material.delete()  # its file went with an earlier media folder
    material = None
material = material or material_create(
    account=account, campaign=campaign, actor=owner.user, data=Path(sys.argv[1]).read_bytes(), filename="t.png")
material = material_review_run(material_id=material.id) or material
# Buy QPS so the throughput run measures the server, not the default 10 QPS limit.
if fuseface_qps_limit(account=account) < 100:
    price_list_ensure()
    item = PriceItem.objects.filter(kind=PriceKind.QPS, active=True).first()
    balance_top_up(account=account, amount_fen=item.price_fen * 10, actor=None, note="bench")
    order_create(account=account, price_code=item.code, quantity=10, actor=None)
print(json.dumps({"sid": key.credential.secret_id, "skey": key.secret_key, "project": campaign.project_id,
                  "model": material.model_id, "usable": material.is_usable}))
"""

ENGINE_MS = r"""
import json, sys, django
django.setup()
from fusion.models import FusionJob
import statistics, time
from pathlib import Path
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
ids = json.loads(sys.stdin.read())
engine = [j for j in FusionJob.objects.filter(request_id__in=ids).values_list("engine_ms", flat=True) if j is not None]
# What passing the photo by reference would add: one storage write (web) and one read (worker).
photo = Path(sys.argv[1]).read_bytes()
trips = []
for _ in range(20):
    t = time.perf_counter()
    name = default_storage.save("bench/photo.jpg", ContentFile(photo))
    with default_storage.open(name, "rb") as fh:
        fh.read()
    trips.append((time.perf_counter() - t) * 1000)
    default_storage.delete(name)
print(json.dumps({"engine": engine, "storage_ms": statistics.median(trips)}))
"""


def _call(url: str, host: str, keys: dict, body: bytes) -> tuple[float, str, str]:
    import requests

    from api.tc3 import authorization_header

    ts = int(time.time())
    auth = authorization_header(secret_id=keys["sid"], secret_key=keys["skey"], body=body, host=host, timestamp=ts)
    started = time.perf_counter()
    r = requests.post(
        url,
        data=body,
        timeout=60,
        headers={
            "Content-Type": "application/json",
            "Authorization": auth,
            "X-TC-Action": "FuseFace",
            "X-TC-Version": "2022-09-27",
            "X-TC-Timestamp": str(ts),
            "X-TC-Region": "ap-guangzhou",
        },
    )
    elapsed = (time.perf_counter() - started) * 1000
    resp = r.json()["Response"]
    return elapsed, resp.get("Error", {}).get("Code", "Success"), resp["RequestId"]


def _wait_http(url: str, deadline: float) -> None:
    import requests

    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args(argv)

    env = _env()
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DJANGO_ENV",
                "DATABASE_URL",
                "REDIS_URL",
                "RONGHE_VAR_DIR",
                "MEDIA_ROOT",
                "DJANGO_SETTINGS_MODULE",
            )
        }
    )
    _ensure_database(env["DATABASE_URL"])
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True)
    template = FACES / "astronaut_collins.png"
    setup = subprocess.run([PY, "-c", SETUP, str(template)], cwd=REPO, env=env, capture_output=True, text=True)
    if setup.returncode:
        print("bench.api: setting up the bench tenant failed:\n" + setup.stderr[-3000:], file=sys.stderr)
        return 1
    keys = json.loads(setup.stdout.strip().splitlines()[-1])
    if not keys["usable"]:
        print("bench.api: the bench material was not approved", file=sys.stderr)
        return 1

    port = _free_port()
    host = f"127.0.0.1:{port}"
    url = f"http://{host}/"
    procs = [
        subprocess.Popen(
            [
                PY,
                "-m",
                "gunicorn",
                "config.wsgi",
                "-b",
                host,
                "-w",
                str(args.workers),
                "-k",
                "gthread",
                "--threads",
                "8",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
        ),
        subprocess.Popen(
            [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "fusion",
                "--concurrency",
                "1",
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,  # the start-up banner; warnings still go to stderr
        ),
    ]
    try:
        _wait_http(f"http://{host}/login/", time.monotonic() + 60)
        photo = base64.b64encode((FACES / "obama2.jpg").read_bytes()).decode()
        body = json.dumps(
            {
                "ProjectId": keys["project"],
                "ModelId": keys["model"],
                "RspImgType": "base64",
                "MergeInfos": [{"Image": photo}],
                "LogoAdd": 1,
            }
        ).encode()
        deadline = time.monotonic() + 90
        while True:  # the worker loads the face models at start; wait for its first answer
            _ms, code, _rid = _call(url, host, keys, body)
            if code == "Success":
                break
            if time.monotonic() > deadline:
                print(f"bench.api: FuseFace keeps failing with {code}", file=sys.stderr)
                return 1
            time.sleep(1)
        for _ in range(3):
            _call(url, host, keys, body)

        latencies: list[float] = []
        ids: list[str] = []
        errors: dict[str, int] = {}
        for _ in range(args.calls):
            ms, code, rid = _call(url, host, keys, body)
            if code == "Success":
                latencies.append(ms)
                ids.append(rid)
            else:
                errors[code] = errors.get(code, 0) + 1
            time.sleep(0.11)  # stay under the default 10 QPS: this measures latency, not the limiter
        measured = json.loads(
            subprocess.run(
                [PY, "-c", ENGINE_MS, str(FACES / "obama2.jpg")],
                input=json.dumps(ids),
                cwd=REPO,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        engine, storage_ms = measured["engine"], measured["storage_ms"]

        stop = time.monotonic() + args.seconds
        done: list[str] = []

        def client() -> None:
            while time.monotonic() < stop:
                done.append(_call(url, host, keys, body)[1])

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            for _ in range(args.concurrency):
                pool.submit(client)
        wall = time.monotonic() - started
        ok = done.count("Success")

        p50, p95 = _pct(latencies, 50), _pct(latencies, 95)
        e50, e95 = _pct(engine, 50), _pct(engine, 95)
        print("\n== API: FuseFace through gunicorn + a Celery fusion worker (PostgreSQL, Redis, loopback) ==")
        print(
            f"template astronaut_collins.png (PNG 512x512), photo obama2.jpg, RspImgType base64, "
            f"gunicorn {args.workers}x8 threads, 1 fusion worker"
        )
        mean = statistics.mean(latencies)
        print(f"latency   n={len(latencies)}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  mean {mean:7.1f} ms")
        print(f"engine    n={len(engine)}  p50 {e50:7.1f} ms  p95 {e95:7.1f} ms  (Engine.fuse inside the worker)")
        print(f"overhead  p50 {p50 - e50:7.1f} ms  (HTTP + TC3 + lookups + queue both ways + usage record)")
        print(
            f"throughput {ok / wall:6.2f} successful calls/s with {args.concurrency} clients for {wall:.1f} s "
            f"({len(done) - ok} not successful: {sorted(set(done) - {'Success'}) or 'none'})"
        )
        print(f"by reference instead of in the message, each photo would add a storage write and read: "
              f"{storage_ms:.1f} ms on this storage (local files; on S3 two network round trips)")
        if errors:
            print(f"errors during the latency run: {errors}")
        return 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
