"""GCRA rate limits on both backends, bursts up to the QPS, failing open while Redis is unreachable,
and the FuseFace limit held against a real client."""

import logging
import multiprocessing
import time

import pytest

from api import ratelimit
from api.ratelimit import RateLimitUnavailable, _allow_redis, _allow_sqlite, rate_limit_hit


@pytest.fixture(autouse=True)
def _fresh_fail_open_state(monkeypatch):
    monkeypatch.setattr(ratelimit, "_fail_open", ratelimit._FailOpen())


def _burst(hit, n: int) -> int:
    return sum(hit().allowed for _ in range(n))


def test_it_admits_a_burst_of_the_whole_qps_then_the_rate_on_redis(settings):
    key = "ronghe:rl:test:redis"
    allowed = _burst(lambda: _allow_redis(key, 10), 30)
    assert allowed in (10, 11)  # one second of tolerance at 10/s (and half an interval of jitter)
    time.sleep(0.15)
    assert _allow_redis(key, 10).allowed


def test_it_admits_eight_clients_starting_together_at_a_third_of_the_limit(alice_key, alice_material, settings):
    """Eight well-behaved clients (3.3/s in all against 10 QPS) fire their first calls at once."""
    codes = [rate_limit_hit(account_id=alice_key.credential.account_id, action="FuseFace", rate=10).allowed
             for _ in range(8)]
    assert all(codes)


def test_it_admits_a_burst_of_the_whole_qps_then_the_rate_on_sqlite(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    t0 = 1_000_000.0
    results = [_allow_sqlite("k", 10, now=t0).allowed for _ in range(30)]
    assert sum(results) == 10
    assert not _allow_sqlite("k", 10, now=t0 + 0.04).allowed
    assert _allow_sqlite("k", 10, now=t0 + 0.06).allowed
    # 1/s offered 2/s for 10 s: ten, plus the one request the half-interval tolerance lets in early.
    assert sum(_allow_sqlite("one", 1, now=t0 + i * 0.5).allowed for i in range(20)) == 11


def test_it_fails_open_with_a_per_process_limit_while_redis_is_unreachable(settings, caplog):
    # A Redis that refuses connections: nothing listens on port 1.
    settings.REDIS_ROLE_URLS = {**settings.REDIS_ROLE_URLS, "limits": "redis://127.0.0.1:1/0"}
    settings.RATE_LIMIT_FAIL_OPEN_SECONDS = 60
    with caplog.at_level(logging.WARNING, logger="api.ratelimit"):
        decisions = [rate_limit_hit(account_id=7, action="FuseFace", rate=10).allowed for _ in range(15)]
    assert decisions.count(True) in (10, 11)  # still limited, by this process alone
    assert "Redis unreachable" in caplog.text
    assert caplog.text.count("rate limiter without Redis: ") == 15  # every decision says how it was taken
    assert "refused" in caplog.text and "allowed" in caplog.text


def test_it_stops_failing_open_after_the_bound_and_recovers_with_redis(settings, caplog):
    good = settings.REDIS_ROLE_URLS
    settings.REDIS_ROLE_URLS = {**good, "limits": "redis://127.0.0.1:1/0"}
    settings.RATE_LIMIT_FAIL_OPEN_SECONDS = 0
    assert rate_limit_hit(account_id=8, action="FuseFace", rate=10).allowed  # the first failure opens the window
    time.sleep(0.05)
    with pytest.raises(RateLimitUnavailable):
        rate_limit_hit(account_id=8, action="FuseFace", rate=10)
    settings.REDIS_ROLE_URLS = good
    ratelimit._fail_open.retry_at = 0  # the next check tries Redis again (once a second otherwise)
    with caplog.at_level(logging.WARNING, logger="api.ratelimit"):
        assert rate_limit_hit(account_id=8, action="FuseFace", rate=10).allowed
    assert "answers again" in caplog.text


def test_it_answers_internal_error_when_the_limiter_cannot_decide(settings, alice_key, alice_material):
    from django.test import Client

    from tests.api.conftest import error_code, signed_post

    settings.REDIS_ROLE_URLS = {**settings.REDIS_ROLE_URLS, "limits": "redis://127.0.0.1:1/0"}
    settings.RATE_LIMIT_FAIL_OPEN_SECONDS = 0
    ratelimit._fail_open.redis_failed(time.monotonic() - 1, ConnectionError("down"))
    resp = signed_post(Client(), alice_key, "DescribeMaterialList", {"ActivityId": alice_material.campaign.project_id})
    assert error_code(resp) == "InternalError"


def test_it_prefixes_its_keys_with_the_deployment_prefix(settings, alice_key, alice_material):
    from console.redis_roles import redis_client

    settings.REDIS_KEY_PREFIX = "other-deployment"
    rate_limit_hit(account_id=alice_key.credential.account_id, action="FuseFace", rate=10)
    keys = list(redis_client("limits").scan_iter(match="other-deployment:rl:*"))
    assert keys == [f"other-deployment:rl:{alice_key.credential.account_id}:FuseFace".encode()]
    redis_client("limits").delete(*keys)


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
    assert 20 <= total <= 32  # 2 s at 10/s plus the burst of 10


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
    # The rate over the run, plus the one-second burst the limit admits at the start.
    expected = 10 * elapsed + 10
    assert abs(allowed - expected) <= 0.1 * expected, (allowed, elapsed)
