"""测试效果 · 专业版 end to end in Chromium: an operator turns FuseFaceUltra on for the account, a
developer uploads a template and two photos, picks the model type and the knobs, runs it on a real
fusion worker, and sees template, photos and result side by side; nothing is billed."""

import pytest

from tests.conftest import browser_login, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_an_operator_turns_it_on_and_a_developer_runs_it(page, browser, live_server, celery_worker_process, alice,
                                                       operator, faces_dir):
    from billing.models import UsageRecord
    from fusion.models import FusionJob

    # The operator, on the account's billing page.
    browser_login(page, operator.username)
    page.goto(f"{page.base_url}/billing/ops/accounts/{alice.account.id}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=ultra-enable]")
    page.wait_for_selector("[data-testid=ultra-disable]")
    page.context.clear_cookies()

    browser_login(page, "alice-developer")
    page.click("[data-nav=test_effect]")
    page.click("[data-testid=tab-ultra]")
    page.set_input_files("[data-testid=template]", str(faces_dir / "two_people.jpg"))
    page.set_input_files("[data-testid=photo_1]", str(faces_dir / "obama.jpg"))
    page.select_option("select[name=face_1]", "face_1")
    page.set_input_files("[data-testid=photo_2]", str(faces_dir / "cruz.jpg"))
    page.select_option("select[name=face_2]", "face_0")
    page.select_option("select[name=model_type]", "4")
    page.fill("input[name=warp]", "0.9")
    page.fill("input[name=enhance]", "0.6")
    page.check("input[name=makeup]")
    page.click("[data-testid=run]")

    page.wait_for_selector("[data-testid=job-result]")
    assert "4" in page.inner_text("[data-testid=ultra-options]")
    page.wait_for_selector("[data-testid=result-image]", timeout=60_000)
    for testid in ("template-image", "result-image"):
        wait_until(page, f"() => document.querySelector('[data-testid={testid}]').naturalWidth > 0")
    assert page.locator("[data-testid=source-image]").count() == 2
    # Side by side at this width: template, photos and result in one row, left to right.
    boxes = [page.locator(sel).first.bounding_box() for sel in
             ("[data-testid=template-image]", "[data-testid=source-image]", "[data-testid=result-image]")]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
    assert abs(boxes[0]["y"] - boxes[2]["y"]) < 80

    with page.expect_download() as info:
        page.click("[data-testid=download]")
    with open(info.value.path(), "rb") as fh:
        assert fh.read(2) == b"\xff\xd8"  # the template's format

    job = FusionJob.objects.get(account=alice.account)
    assert (job.action, job.source, job.status) == ("FuseFaceUltra", "console_test", "succeeded")
    assert job.options["model_type"] == 4 and job.options["makeup"] is True
    record = UsageRecord.objects.get(request_id=job.request_id)
    assert (record.action, record.source, record.billable) == ("FuseFaceUltra", "console_test", False)
