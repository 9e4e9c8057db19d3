"""The deploy layout under load (issue 14): FuseFace through nginx with the official SDK while one web
node and one fusion worker are killed. Calls keep being answered, no job is lost, every success is
billed once and its result is in the bucket. Run by `make cluster-test` (CI, after `make chaos`).
"""

from __future__ import annotations

import re
import signal
import time

import pytest
import requests

from tests.chaos.conftest import assert_billed_exactly_once, wait_until
from tests.cluster.conftest import (
    BUCKET,
    HEALTHZ_TOKEN,
    SETTLE_AFTER_SECONDS,
    SWEEP_SECONDS,
    TRANSPORT_CODES,
    Cluster,
    SdkLoad,
    wait_for_success,
)

pytestmark = pytest.mark.cluster

SETTLE_BOUND = SETTLE_AFTER_SECONDS + SWEEP_SECONDS + 10
CLIENTS = 4


def _get(cluster: Cluster, path: str, **kwargs) -> requests.Response:
    return requests.get(f"https://{cluster.public}{path}", verify=str(cluster.cert), timeout=30,
                        allow_redirects=False, **kwargs)


def test_it_serves_the_console_over_tls_and_static_files_from_nginx(cluster, tenant):
    page = _get(cluster, "/login/")
    assert page.status_code == 200, page.text[:500]
    assert "max-age" in page.headers["Strict-Transport-Security"]  # the app knows it is behind TLS
    stylesheet = re.search(r'<link rel="stylesheet" href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, page.text[:1000]
    asset = _get(cluster, stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert asset.status_code == 200
    assert "immutable" in asset.headers["Cache-Control"] and asset.headers.get("Content-Encoding") == "gzip"
    # From disk, not through a web node: none of the headers the app's middleware adds.
    assert "Content-Security-Policy" not in asset.headers and "Referrer-Policy" not in asset.headers
    plain = requests.get(f"http://127.0.0.1:{cluster.http_port}/login/", timeout=10, allow_redirects=False)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    # A probe on the private network reaches a web node itself in plain HTTP; pages there go to HTTPS.
    node = f"http://127.0.0.1:{cluster.web_ports[1]}"
    assert requests.get(f"{node}/healthz/", timeout=10, allow_redirects=False).json() == {"ok": True}
    assert requests.get(f"{node}/login/", timeout=10, allow_redirects=False).status_code == 301


def test_it_keeps_answering_when_a_web_node_and_a_fusion_worker_are_killed(cluster, tenant):
    wait_for_success(cluster, tenant, 120)
    (since,) = cluster.sql("select now()")[0]
    # Each kill once the load has had a few successes since the last one, however fast this machine is.
    with SdkLoad(cluster, tenant, clients=CLIENTS) as load:
        wait_until(lambda: load.successes_since(0) >= 3, "successes with the whole cluster", 40)
        web_killed_at, web_killed_clock = time.monotonic(), time.time()
        cluster.kill("web-1", signal.SIGKILL)
        wait_until(lambda: load.successes_since(web_killed_at + 0.5) >= 3, "successes with one web node", 40)
        fusion_killed_at = time.monotonic()
        cluster.kill("fusion-1", signal.SIGKILL)
        wait_until(lambda: load.successes_since(fusion_killed_at + 2) >= 3, "successes after both kills", 40)
    calls = load.calls

    # Calls keep being answered: only the calls web-1 was serving when it died lost their answer
    # (nginx does not send a POST again); every other call got a typed answer from the API.
    lost = [c for c in calls if c.code in TRANSPORT_CODES]
    assert len(lost) <= CLIENTS, lost
    assert all(c.started <= web_killed_at + 0.5 and c.ended >= web_killed_at for c in lost), (web_killed_at, lost)
    # nginx spread the calls over both web nodes, and after the kill sent them all to web-2 (a call
    # refused by web-1 was passed on to web-2: both ports in its row).
    web_1, web_2 = cluster.web_ports
    posts = [(at, ports) for at, method, _status, ports in cluster.upstreams() if method == "POST"]
    assert {ports[0] for at, ports in posts if at < web_killed_clock} == {web_1, web_2}, posts
    assert all(ports[-1] == web_2 for at, ports in posts if at > web_killed_clock + 1), posts
    answered = [c for c in calls if c.code not in TRANSPORT_CODES]
    assert all(c.request_id for c in answered), answered[:5]
    # A job the killed worker held is handed over: Success, or at once ServerError when it died
    # after closing the job but before handing its result over.
    codes = {c.code for c in answered}
    assert codes <= {"Success", "FailedOperation.ServerError"}, codes
    successes = [c for c in answered if c.code == "Success"]
    assert all(c.code == "Success" for c in answered if c.started > fusion_killed_at + 2)

    # No job lost: every job of the load closes, and says what its caller was told.
    wait_until(lambda: not cluster.sql("select count(*) from fusion_fusionjob where account_id = %s and "
                                       "created_at >= %s and status in ('queued', 'running')",
                                       tenant.account, since)[0][0], "every job closed", 30)
    jobs = {rid: (code, name) for rid, code, name in cluster.sql(
        "select request_id, result_code, result_name from fusion_fusionjob where account_id = %s and "
        "created_at >= %s", tenant.account, since)}
    for call in answered:
        assert jobs[call.request_id][0] == call.code, (call, jobs[call.request_id])
    orphans = set(jobs) - {c.request_id for c in answered}
    assert len(orphans) <= len(lost), (orphans, lost)

    # Usage = successes: one billable record per success and none else, each settled once.
    billable = {rid for (rid,) in cluster.sql(
        "select request_id from billing_usagerecord where account_id = %s and created_at >= %s and billable",
        tenant.account, since)}
    assert billable == {c.request_id for c in successes}
    assert_billed_exactly_once(cluster, successes, SETTLE_BOUND)

    # Every success's result is in the bucket, and its link (presigned, on the S3 endpoint) serves it.
    keys: set[str] = set()
    for page in cluster.s3().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="fusion/"):
        keys.update(item["Key"] for item in page.get("Contents", []))
    missing = [c for c in successes if jobs[c.request_id][1] not in keys]
    assert not missing, missing[:5]
    sample = successes[-1]
    assert sample.url.startswith(cluster.s3_endpoint) and jobs[sample.request_id][1] in sample.url
    image = requests.get(sample.url, timeout=10)
    assert image.status_code == 200 and image.content[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1")

    # The cluster is ready again through nginx: every queue has a live consumer (fusion-2 for fusion).
    wait_until(lambda: _get(cluster, "/healthz/ready/", headers={"Authorization": f"Bearer {HEALTHZ_TOKEN}"})
               .status_code == 200, "readiness with one web node and one fusion worker gone", 20)
    print(f"cluster: {len(calls)} calls, {len(successes)} successes, {len(lost)} lost with web-1, "
          f"{len(successes) / (calls[-1].ended - calls[0].started):.1f} successes/s")
