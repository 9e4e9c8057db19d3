"""Fault tests: a whole deployment of their own (bench/stack.py: PostgreSQL and Redis on their own
ports, gunicorn, the production worker commands of scripts/worker.sh), loaded through the API while
its services are restarted or killed. Run by `make chaos` (and CI), one test at a time.

Ports: CHAOS_PG_PORT (5443), CHAOS_REDIS_PORT (6395), CHAOS_WEB_PORT (8151).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bench.stack import Stack, Tenant

DEADLINE_SECONDS = 20  # FUSION_JOB_DEADLINE_SECONDS
# The sweepers run every 5 s here (60 s in a default deployment), so catching up is quick to watch.
SWEEP_SECONDS = 5
SETTLE_AFTER_SECONDS = 5
REVIEW_DEADLINE_SECONDS = 10
HEALTHZ_TOKEN = "chaos-readiness-token"


@dataclass
class Call:
    code: str
    ms: float
    request_id: str
    at: float  # monotonic start


class Load:
    """``clients`` threads calling FuseFace back to back until stopped."""

    def __init__(self, stack: Stack, tenant: Tenant, *, clients: int = 4, rsp: str = "base64",
                 pause: float = 0.0) -> None:
        self.stack, self.tenant, self.clients, self.pause = stack, tenant, clients, pause
        self.body = stack.fuse_body(tenant, rsp=rsp)
        self.calls: list[Call] = []
        self.stopped = threading.Event()
        self.threads: list[threading.Thread] = []

    def _client(self) -> None:
        import requests

        with requests.Session() as session:
            while not self.stopped.is_set():
                at = time.monotonic()
                code, ms, rid = self.stack.call(self.tenant, self.body, session=session)
                self.calls.append(Call(code, ms, rid, at))
                if self.pause:
                    time.sleep(self.pause)

    def __enter__(self) -> Load:
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(self.clients)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=DEADLINE_SECONDS + 30)

    def since(self, at: float) -> list[Call]:
        return [c for c in self.calls if c.at >= at]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    ports = {"pg_port": int(os.environ.get("CHAOS_PG_PORT", 5443)),
             "redis_port": int(os.environ.get("CHAOS_REDIS_PORT", 6395)),
             "web_port": int(os.environ.get("CHAOS_WEB_PORT", 8151))}
    env = {"SWEEP_INTERVAL_SECONDS": str(SWEEP_SECONDS), "BILLING_SWEEP_AFTER_SECONDS": str(SETTLE_AFTER_SECONDS),
           "MATERIAL_REVIEW_DEADLINE_SECONDS": str(REVIEW_DEADLINE_SECONDS),
           "FUSION_JOB_DEADLINE_SECONDS": str(DEADLINE_SECONDS), "LOG_LEVEL": "INFO",
           "HEALTHZ_TOKEN": HEALTHZ_TOKEN, "HEALTHZ_WORKER_TIMEOUT": "2",
           # Readiness wants every queue consumed, video's too; one pool process is enough for that.
           "VIDEO_CONCURRENCY": "1"}
    with Stack(**ports, env_extra=env) as running:
        running.start()
        yield running


@pytest.fixture(scope="module")
def tenant(stack: Stack) -> Tenant:
    tenant = stack.tenant("chaos-owner", qps=100)
    wait_for_success(stack, tenant, 90)  # the fusion worker has loaded its models
    return tenant


def wait_for_success(stack: Stack, tenant: Tenant, seconds: float) -> float:
    """Calls until one succeeds; the seconds it took."""
    body = stack.fuse_body(tenant)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if stack.call(tenant, body)[0] == "Success":
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"no successful FuseFace within {seconds} s")


def wait_until(check, what: str, seconds: float, pause: float = 0.5):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s ({result!r})")
        time.sleep(pause)


def assert_every_call_agrees(stack: Stack, calls: list[Call]) -> dict[str, int]:
    """Every caller got a typed answer within the deadline, and for every call the job row, the
    answer and the usage record say the same; successes are billable, failures on our side are not.
    Returns the count of each answer code."""
    assert calls, "the load made no calls"
    untyped = [c for c in calls if c.code.startswith("HTTP:")]
    assert not untyped, untyped[:5]
    # The deadline, plus the few seconds a web thread spends reconnecting to close its job.
    slow = [c for c in calls if c.ms > (DEADLINE_SECONDS + 6) * 1000]
    assert not slow, slow[:5]
    ids = [c.request_id for c in calls]
    # A job left open (its web thread could not reach the database) is closed by the sweeper.
    wait_until(lambda: not stack.sql("select count(*) from fusion_fusionjob where request_id = any(%s) "
                                     "and status in ('queued', 'running')", ids)[0][0],
               "every job closed", 90)
    jobs = dict(stack.sql("select request_id, result_code from fusion_fusionjob where request_id = any(%s)", ids))
    usage = {rid: (code, billable) for rid, code, billable in stack.sql(
        "select request_id, result_code, billable from billing_usagerecord where request_id = any(%s)", ids)}
    for call in calls:
        if call.request_id in jobs:
            assert jobs[call.request_id] == call.code, (call, jobs[call.request_id])
        if call.request_id in usage:
            code, billable = usage[call.request_id]
            assert code == call.code, (call, code)
            assert billable == (call.code == "Success"), (call, billable)
        else:
            # No usage record only when the database could not even authenticate the call.
            assert call.code == "InternalError" and call.request_id not in jobs, call
    counts: dict[str, int] = {}
    for call in calls:
        counts[call.code] = counts.get(call.code, 0) + 1
    return counts


def assert_billed_exactly_once(stack: Stack, calls: list[Call], seconds: float) -> None:
    """Every successful call settled (by its task or the sweeper) within ``seconds``, once."""
    ids = [c.request_id for c in calls if c.code == "Success"]
    wait_until(lambda: not stack.sql("select count(*) from billing_usagerecord where request_id = any(%s) "
                                     "and settled_at is null", ids)[0][0], "every success settled", seconds)
    entries = stack.sql("select u.request_id, count(e.id) from billing_usagerecord u left join billing_ledgerentry e "
                        "on e.usage_id = u.id and e.reason = 'usage' where u.request_id = any(%s) "
                        "group by u.request_id", ids)
    assert len(entries) == len(ids) and all(n == 1 for _rid, n in entries), entries
