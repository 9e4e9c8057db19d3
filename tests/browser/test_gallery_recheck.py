"""In Chromium with a real Celery worker: an approved material of a public figure passed review while
the gallery was empty; the operator, told so on the first-run queue, bulk-uploads the person, and the
background re-check pulls the material back into the queue with a reason the customer reads."""

import time

import pytest

from tests.conftest import PASSWORD, browser_mfa_verify
from tests.materials.conftest import fit

pytestmark = [pytest.mark.browser, pytest.mark.worker]
SHOTS = "/tmp/shots"


def _sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".auth-card button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
    browser_mfa_verify(page, username)  # operators have two-step verification on


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_a_gallery_person_added_later_pulls_an_approved_material_back(celery_worker_process, alice, operator,
                                                                        page, browser, tmp_path):
    from campaigns.services import campaign_create
    from materials.models import Material, MaterialStatus
    from materials.review import material_review_run
    from materials.services import material_create

    campaign = campaign_create(account=alice.account, actor=alice.owner.user, name="总统海报")
    material = material_create(account=alice.account, campaign=campaign, actor=alice.owner.user,
                               data=fit("obama2.jpg"), name="obama_1000")
    material = material_review_run(material_id=material.id)
    assert material.status == MaterialStatus.MACHINE_PASSED  # the empty gallery let it through
    photo = tmp_path / "奥巴马_1.jpg"
    photo.write_bytes(fit("obama.jpg"))

    page.set_viewport_size({"width": 1440, "height": 900})
    _sign_in(page, "ops-1")
    assert page.url.endswith("/materials/review/")
    first_run = page.locator("[data-testid=first-run]")
    assert "公众人物库为空" in first_run.inner_text()
    page.screenshot(path=f"{SHOTS}/desk-first-run-zh.png", full_page=True)
    first_run.locator("text=充实公众人物库").click()
    page.set_input_files("#id_bulk_photos", str(photo))
    page.click("[data-testid=bulk-form] button[type=submit]")
    assert "奥巴马" in page.inner_text(".messages")
    assert page.locator('tr[data-figure="奥巴马"]').count() == 1

    deadline = time.monotonic() + 60
    while Material.objects.get(id=material.id).status != MaterialStatus.REVIEWING:
        assert time.monotonic() < deadline, "the re-check did not run on the worker"
        time.sleep(0.5)
    page.click("[data-nav=review_queue]")
    item = page.locator(f".queue-item[data-model-id='{material.model_id}']")
    assert "奥巴马" in item.inner_text() and "公众人物库新增" in item.inner_text()
    assert "公众人物库为空" not in page.inner_text("main")
    page.screenshot(path=f"{SHOTS}/desk-recheck-queue-zh.png", full_page=True)

    customer = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    customer.set_default_timeout(15_000)
    mine = customer.new_page()
    mine.base_url = page.base_url
    _sign_in(mine, "alice-owner")
    mine.goto(mine.base_url + f"/materials/{material.model_id}/")
    status = mine.inner_text("[data-testid=usable]") + mine.inner_text(".status-cell")
    assert "暂不可用" in status or "不可用" in status
    assert "公众人物库新增了“奥巴马”" in mine.inner_text(".status-cell")
    mine.screenshot(path=f"{SHOTS}/desk-recheck-material-zh.png", full_page=True)
    customer.close()
