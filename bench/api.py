"""API benchmark: FuseFace through gunicorn and the production fusion worker, beside the engine's own time.

    python -m bench.api [--calls N] [--concurrency C] [--seconds S] [--embedded-calls M] [--fusion-cores F]

Three deployments of bench/stack.py, each with the production worker commands (scripts/worker.sh):

* PostgreSQL (``BENCH_DATABASE_URL``, default postgresql://postgres:postgres@127.0.0.1:5432/ronghe_bench)
  and a Redis of its own on a free port: N sequential calls (latency, c=1), then C clients back to
  back for S seconds (throughput), then the per-step profile of one job;
* the embedded default (SQLite, the filesystem broker, no Redis): M sequential calls.

Every call is a real TC3-signed FuseFace over loopback (astronaut template, obama2.jpg, base64 reply).
The engine's time per job (``engine_ms``, around ``Engine.fuse`` in the worker) is printed beside
the API's: the difference is the pipeline's overhead.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.stack import FACES, Stack, Tenant  # noqa: E402

PROFILE = r"""
import base64, json, statistics, sys, threading, time, django
django.setup()
from django.db import transaction
from console.models import Account
from fusion import channel
from fusion.engine import FaceMapping, Label, get_engine
from fusion.services import MappingSpec, fusion_job_create
from fusion.services.worker import _store
from fusion.models import FusionJob, JobSource
from materials.models import Material
from materials.selectors import material_template

photo = open(sys.argv[1], "rb").read()
photo_b64 = base64.b64encode(photo).decode()
account = Account.objects.get(id=int(sys.argv[2]))
material = Material.objects.select_related("campaign").get(account=account, model_id=sys.argv[3])
engine = get_engine()
steps = {k: [] for k in ("job row", "enqueue", "template load", "decode", "fuse", "encode", "store",
                         "publish", "wake-up")}

def timed(name, fn):
    t = time.perf_counter(); out = fn(); steps[name].append((time.perf_counter() - t) * 1000); return out

for i in range(int(sys.argv[4])):
    with transaction.atomic():  # the row inside, the enqueue (on commit) after
        t = time.perf_counter()
        job = fusion_job_create(account=account, request_id=f"profile-{time.time_ns()}", source=JobSource.API,
                                campaign_project_id=material.campaign.project_id,
                                material_model_id=material.model_id, version=material.campaign.version,
                                mappings=[MappingSpec(image_b64=photo_b64)], rsp_img_type="base64",
                                deadline_seconds=0.001)  # past its deadline: the worker leaves it alone
        steps["job row"].append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
    steps["enqueue"].append((time.perf_counter() - t) * 1000)
    template, record = timed("template load", lambda: material_template(material))
    timed("decode", lambda: engine.decode(photo))
    label = Label(produce_id=job.request_id, propagator="bench")
    tmpl, canvas, _ = timed("fuse", lambda: engine.render(template=template, record=record,
                            mappings=[FaceMapping(source=photo)], version=material.campaign.version, label=label))
    image = timed("encode", lambda: engine.encode_result(tmpl, canvas, label))
    timed("store", lambda: _store(job, image, record.format))
    answer = {"event": "answer", "code": "Success", "b64": base64.b64encode(image).decode()}
    got = []

    def listen(waiter):
        event = waiter.next(5)
        while event is not None and event.get("event") != "answer":  # the worker's "received" for this job
            event = waiter.next(5)
        got.append((event, time.perf_counter()))

    with channel.Waiter(str(job.id)) as waiter:
        listener = threading.Thread(target=listen, args=(waiter,))
        listener.start()
        time.sleep(0.05)  # the waiter is blocked in BLPOP
        sent = time.perf_counter()
        timed("publish", lambda: channel.publish(str(job.id), answer))
        listener.join()
    steps["wake-up"].append((got[0][1] - sent) * 1000)
FusionJob.objects.filter(request_id__startswith="profile-").delete()
print(json.dumps({k: statistics.median(v) for k, v in steps.items()} | {"image_kb": len(image) / 1024}))
"""

ENGINE_MS = r"""
import json, sys, django
django.setup()
from fusion.models import FusionJob
ids = json.loads(sys.stdin.read())
rows = FusionJob.objects.filter(request_id__in=ids).values_list("request_id", "engine_ms", "created_at", "started_at",
                                                               "finished_at")
print(json.dumps({"engine": [e for _r, e, _c, _s, _f in rows if e is not None],
                  "start_lag": [(s - c).total_seconds() * 1000 for _r, _e, c, s, _f in rows if s is not None],
                  "times": {r: [e, c.timestamp(), s.timestamp(), f.timestamp()] for r, e, c, s, f in rows
                            if e is not None and s is not None and f is not None}}))
"""


_SENT: dict[str, tuple[float, float]] = {}  # RequestId: (sent, answered), wall clock


def _split(times: dict) -> dict[str, float]:
    """Where a c=1 call's time goes (medians, ms): the job row's timestamps against the client's clock."""
    parts: dict[str, list[float]] = {"web, before the job row": [], "queue (enqueue to start)": [],
                                     "worker, besides the engine": [], "engine": [], "answer to the caller": []}
    for rid, (engine, created, started, finished) in times.items():
        sent, answered = _SENT[rid]
        parts["web, before the job row"].append((created - sent) * 1000)
        parts["queue (enqueue to start)"].append((started - created) * 1000)
        parts["worker, besides the engine"].append((finished - started) * 1000 - engine)
        parts["engine"].append(engine)
        parts["answer to the caller"].append((answered - finished) * 1000)
    return {k: _pct(v, 50) for k, v in parts.items()}


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _warm(stack: Stack, tenant: Tenant, body: bytes) -> None:
    deadline = time.monotonic() + 120
    while True:  # the worker loads the face models at start; wait for its first answer
        code = stack.call(tenant, body)[0]
        if code == "Success":
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"FuseFace keeps failing with {code}")
        time.sleep(0.5)
    for _ in range(3):
        stack.call(tenant, body)


def _sequential(stack: Stack, tenant: Tenant, body: bytes, calls: int) -> tuple[list[float], list[str], dict]:
    import requests

    latencies: list[float] = []
    ids: list[str] = []
    errors: dict[str, int] = {}
    with requests.Session() as session:
        for _ in range(calls):
            sent = time.time()
            code, ms, rid = stack.call(tenant, body, session=session)
            if code == "Success":
                latencies.append(ms)
                ids.append(rid)
                _SENT[rid] = (sent, time.time())
            else:
                errors[code] = errors.get(code, 0) + 1
            time.sleep(0.11)  # under the 10 QPS an embedded tenant has: this measures latency
    return latencies, ids, errors


def _throughput(stack: Stack, tenant: Tenant, body: bytes, clients: int, seconds: float) -> tuple[float, list]:
    import requests

    stop = time.monotonic() + seconds
    done: list[tuple[str, str]] = []

    def client() -> None:
        with requests.Session() as session:
            while time.monotonic() < stop:
                code, _ms, rid = stack.call(tenant, body, session=session)
                done.append((code, rid))

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for _ in range(clients):
            pool.submit(client)
    return time.monotonic() - started, done


def _jobs(stack: Stack, ids: list[str]) -> dict:
    return json.loads(stack.manage("-c", ENGINE_MS, stdin=json.dumps(ids)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--embedded-calls", type=int, default=20)
    parser.add_argument("--profile-jobs", type=int, default=20)
    parser.add_argument("--fusion-cores", type=int, default=os.cpu_count() or 1,
                        help="pool processes of the fusion worker (WORKER_CONCURRENCY); default one per core")
    args = parser.parse_args(argv)
    cores = args.fusion_cores

    database_url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/ronghe_bench")
    with Stack(web_port=_free_port(), redis_port=_free_port(), database_url=database_url,
               env_extra={"WORKER_CONCURRENCY": str(cores)}) as stack:
        stack.start(workers=("fusion", "tasks"))
        tenant = stack.tenant("bench-owner", qps=100)
        body = stack.fuse_body(tenant)
        _warm(stack, tenant, body)
        latencies, ids, errors = _sequential(stack, tenant, body, args.calls)
        measured = _jobs(stack, ids)
        wall, done = _throughput(stack, tenant, body, args.concurrency, args.seconds)
        ok_ids = [rid for code, rid in done if code == "Success"]
        loaded = _jobs(stack, ok_ids)
        profile = json.loads(stack.manage("-c", PROFILE, str(FACES / "obama2.jpg"), str(tenant.account),
                                          tenant.model, str(args.profile_jobs)).strip().splitlines()[-1])

    with Stack(web_port=_free_port()) as embedded:
        embedded.start(workers=("fusion", "tasks"))
        etenant = embedded.tenant("bench-owner", qps=0)
        ebody = embedded.fuse_body(etenant)
        _warm(embedded, etenant, ebody)
        elat, eids, eerrors = _sequential(embedded, etenant, ebody, args.embedded_calls)
        emeasured = _jobs(embedded, eids)

    engine, e50 = measured["engine"], _pct(measured["engine"], 50)
    p50, p95 = _pct(latencies, 50), _pct(latencies, 95)
    ok = len(ok_ids)
    rate = ok / wall
    print("\n== API: FuseFace through gunicorn (2x8 threads) and the fusion worker (scripts/worker.sh fusion, "
          f"{cores} processes) ==")
    print("template astronaut_collins.png (PNG 512x512), photo obama2.jpg, RspImgType base64, loopback")
    print(f"{'':28}{'p50':>9}{'p95':>9}")
    print(f"{'engine (Engine.fuse)':28}{e50:9.1f}{_pct(engine, 95):9.1f} ms   n={len(engine)}")
    print(f"{'API, c=1':28}{p50:9.1f}{p95:9.1f} ms   n={len(latencies)}   "
          f"overhead p50 {p50 - e50:.1f} ms (target <= 40)")
    print(f"{'job start lag, c=1':28}{_pct(measured['start_lag'], 50):9.1f}{_pct(measured['start_lag'], 95):9.1f} ms")
    print(f"{'job start lag, c=' + str(args.concurrency):28}{_pct(loaded['start_lag'], 50):9.1f}"
          f"{_pct(loaded['start_lag'], 95):9.1f} ms")
    target = 0.6 * cores / (e50 / 1000)
    print(f"throughput c={args.concurrency}: {rate:.2f} successful calls/s over {wall:.1f} s "
          f"(target >= 60% of {cores} cores / engine p50 = {target:.1f}/s; "
          f"{len(done) - ok} not successful: {sorted({c for c, _r in done} - {'Success'}) or 'none'})")
    load = os.getloadavg()
    print(f"per fusion core: {rate / cores:.2f} successful calls/s ({cores} fusion processes on "
          f"{os.cpu_count()} cores, web, PostgreSQL and Redis on the same machine; load average "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f})")
    ee50 = _pct(emeasured["engine"], 50)
    print(f"embedded default (SQLite, filesystem broker woken by FIFOs): FuseFace p50 {_pct(elat, 50):.1f} ms, "
          f"p95 {_pct(elat, 95):.1f} ms, engine p50 {ee50:.1f} ms, overhead p50 {_pct(elat, 50) - ee50:.1f} ms "
          f"(target <= 150)")
    print("\nwhere a c=1 call's time goes (medians; the job row's timestamps against the client's clock):")
    for part, ms in _split(measured["times"]).items():
        print(f"  {part:28} {ms:8.1f} ms")
    print("\nper step, one job, median of", args.profile_jobs, "(in-process, the calls the web process and the "
          "worker make; PostgreSQL, Redis):")
    for step, ms in profile.items():
        if step != "image_kb":
            print(f"  {step:14} {ms:8.2f} ms")
    print(f"  (result {profile['image_kb']:.0f} KB; 'fuse' includes the photo's decode and landmarks; "
          "'store' is for url replies only)")
    if errors or eerrors:
        print(f"errors during the latency runs: {errors} {eerrors}")
    print(f"machine load (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
