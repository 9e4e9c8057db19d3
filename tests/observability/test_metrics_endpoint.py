"""GET /metrics: behind METRICS_TOKEN, the counters incremented where their events happen (API calls,
rate-limit refusals, sign-in lockouts) and the figures read at scrape time (queue depths, the review
backlog, unsettled usage)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.conftest import error_code, reset_rate_limits, signed_post, template_bytes
from tests.observability.conftest import TOKEN, sample, scrape


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def test_it_does_not_exist_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_it_refuses_a_missing_or_wrong_token(client, metrics_on):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_it_counts_api_calls_by_action_and_code_and_rate_limit_refusals(metrics_on, alice_key):
    before = scrape()
    reset_rate_limits()
    client = Client()
    first = signed_post(client, alice_key, "DescribeMaterialList", {"Limit": 10})
    second = signed_post(client, alice_key, "DescribeMaterialList", {"Limit": 10})  # 1 call a second
    assert error_code(first) == "MissingParameter" and error_code(second) == "RequestLimitExceeded"
    signed_post(client, alice_key, "NoSuchAction", {})
    after = scrape()

    def delta(name, **labels):
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("ronghe_api_calls_total", action="DescribeMaterialList", code="MissingParameter") == 1
    assert delta("ronghe_api_calls_total", action="DescribeMaterialList", code="RequestLimitExceeded") == 1
    # An unknown action counts under "-": the caller's header never becomes a label.
    assert delta("ronghe_api_calls_total", action="-", code="InvalidAction") == 1
    assert delta("ronghe_rate_limit_refusals_total", action="DescribeMaterialList") == 1


def test_it_counts_sign_ins_refused_by_the_lockout(metrics_on, settings, alice):
    settings.LOGIN_FAILURE_LIMIT = 2
    before = sample(scrape(), "ronghe_login_lockouts_total")
    client = Client()
    for _ in range(2):  # wrong passwords, within the limit: failures, not lockouts
        client.post("/login/", {"username": "alice-owner", "password": "wrong-password"})
    assert sample(scrape(), "ronghe_login_lockouts_total") == before
    client.post("/login/", {"username": "alice-owner", "password": "wrong-password"})
    client.post("/login/", {"username": "alice-owner", "password": "wrong-password"})
    assert sample(scrape(), "ronghe_login_lockouts_total") == before + 2


def test_it_reads_review_backlog_and_unsettled_usage_at_scrape_time(metrics_on, alice, faces_dir):
    from billing.services import usage_record_create
    from campaigns.services import campaign_create
    from materials.models import Material, ReviewStage
    from materials.services import material_create

    empty = scrape()
    assert sample(empty, "ronghe_review_backlog", stage="operator") == 0
    assert sample(empty, "ronghe_review_oldest_age_seconds", stage="operator") == 0
    assert sample(empty, "ronghe_usage_unsettled") == 0

    campaign = campaign_create(account=alice.account, actor=alice.owner.user, name="活动", version="faceswap")
    material = material_create(account=alice.account, campaign=campaign, actor=alice.owner.user,
                               data=template_bytes(faces_dir / "obama.jpg"), filename="obama.jpg")
    # An hour in the operator queue (as the machine review leaves a flagged upload).
    Material.objects.filter(id=material.id).update(review_stage=ReviewStage.OPERATOR,
                                                   queued_at=timezone.now() - timedelta(hours=1))
    usage_record_create(request_id="req-unsettled-1", account=alice.account, action="FuseFace", result_code="Success",
                        billable=True, latency_ms=300, now=timezone.now() - timedelta(minutes=10))
    samples = scrape()
    assert sample(samples, "ronghe_review_backlog", stage="operator") == 1
    assert 3590 < sample(samples, "ronghe_review_oldest_age_seconds", stage="operator") < 3700
    assert sample(samples, "ronghe_usage_unsettled") == 1
    assert 590 < sample(samples, "ronghe_usage_unsettled_oldest_age_seconds") < 700
    assert all(value == 1 for (name, _labels), value in samples.items() if name == "ronghe_metrics_collector_up")


def test_it_reads_each_queues_depth_from_the_broker(metrics_on, settings):
    from config.celery import app
    from console.tasks import ping

    assert settings.REDIS_URL, "queue depths are read from the Redis broker"
    app.control.purge()
    ping.apply_async(queue="review")
    ping.apply_async(queue="review")
    ping.apply_async(queue="billing")
    try:
        samples = scrape()
        assert sample(samples, "ronghe_queue_depth", queue="review") == 2
        assert sample(samples, "ronghe_queue_depth", queue="billing") == 1
        assert sample(samples, "ronghe_queue_depth", queue="fusion") == 0
        # No worker runs in this test: every queue reads as without a consumer.
        assert sample(samples, "ronghe_queue_consumers", queue="fusion") == 0
    finally:
        app.control.purge()
