"""GCRA rate limits on both backends, and the FuseFace limit held against a real client."""

import multiprocessing
import time

import pytest

from api.ratelimit import _allow_redis, _allow_sqlite, rate_limit_hit


def _burst(hit, n: int) -> int:
    return sum(hit().allowed for _ in range(n))


def test_it_allows_a_short_burst_then_the_rate_on_redis(settings):
    key = "ronghe:rl:test:redis"
    allowed = _burst(lambda: _allow_redis(settings.REDIS_URL, key, 10), 30)
    assert 4 <= allowed <= 6  # half a second of tolerance at 10/s
    time.sleep(0.35)
    assert _allow_redis(settings.REDIS_URL, key, 10).allowed


def test_it_allows_a_short_burst_then_the_rate_on_sqlite(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    t0 = 1_000_000.0
    results = [_allow_sqlite("k", 10, now=t0).allowed for _ in range(30)]
    assert sum(results) == 5
    assert not _allow_sqlite("k", 10, now=t0 + 0.05).allowed
    assert _allow_sqlite("k", 10, now=t0 + 0.11).allowed
    # 1/s offered 2/s for 10 s: ten, plus the one request the half-second tolerance lets in early.
    assert sum(_allow_sqlite("one", 1, now=t0 + i * 0.5).allowed for i in range(20)) == 11


def _hammer(path: str, start: float, seconds: float, out) -> None:
    from pathlib import Path

    allowed = 0
    time.sleep(max(0.0, start - time.time()))
    while time.time() < start + seconds:
        allowed += _allow_sqlite("shared", 10, path=Path(path)).allowed
    out.put(allowed)


def test_it_holds_the_sqlite_limit_across_processes(tmp_path):
    # Four processes racing on one key: without the atomic read-decide-write they would each
    # see the old TAT and together allow several times the rate. Spawned, not forked: forking a
    # process that runs threads (the live server, Redis pools) can deadlock the children.
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    start = time.time() + 4
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path / "rl.sqlite3"), start, 2.0, out)) for _ in range(4)]
    for p in procs:
        p.start()
    try:
        total = sum(out.get(timeout=60) for _ in procs)
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    assert 18 <= total <= 27  # 2 s at 10/s plus the burst


def test_it_picks_sqlite_without_redis(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    assert rate_limit_hit(account_id=1, action="DescribeMaterialList", rate=1).allowed
    assert not rate_limit_hit(account_id=1, action="DescribeMaterialList", rate=1).allowed
    assert rate_limit_hit(account_id=2, action="DescribeMaterialList", rate=1).allowed
    assert (tmp_path / "ratelimit.sqlite3").exists()


def test_it_limits_describe_material_list_to_one_per_second(alice_key, alice_material):
    from django.test import Client

    from tests.api.conftest import error_code, signed_post

    codes = [error_code(signed_post(Client(), alice_key, "DescribeMaterialList",
                                    {"ActivityId": alice_material.campaign.project_id})) for _ in range(3)]
    assert codes == [None, "RequestLimitExceeded", "RequestLimitExceeded"]


@pytest.mark.django_db(transaction=True)
def test_it_holds_fuseface_within_ten_percent_at_twice_the_rate(live_server, alice, alice_key):
    """20 requests a second for 10 s over loopback against the default 10 QPS."""
    import json
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from api.tc3 import authorization_header

    host = live_server.url.removeprefix("http://")
    body = json.dumps({"ProjectId": "at_x", "ModelId": "mt_x", "RspImgType": "base64", "MergeInfos": []}).encode()
    session = requests.Session()

    def send(at: float) -> str:
        time.sleep(max(0.0, at - time.monotonic()))
        ts = int(time.time())
        auth = authorization_header(secret_id=alice_key.secret_id, secret_key=alice_key.secret_key, body=body,
                                    host=host, timestamp=ts)
        r = session.post(live_server.url + "/", data=body, timeout=10, headers={
            "Content-Type": "application/json", "Authorization": auth, "X-TC-Action": "FuseFace",
            "X-TC-Version": "2022-09-27", "X-TC-Timestamp": str(ts)})
        return r.json()["Response"].get("Error", {}).get("Code", "")

    start = time.monotonic() + 0.2
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            codes = list(pool.map(send, [start + i * 0.05 for i in range(200)]))
    finally:
        session.close()
    elapsed = time.monotonic() - start
    limited = codes.count("RequestLimitExceeded")
    allowed = len(codes) - limited
    assert set(codes) <= {"RequestLimitExceeded", "MissingParameter"}
    expected = 10 * elapsed
    assert abs(allowed - expected) <= 0.1 * expected, (allowed, elapsed)
