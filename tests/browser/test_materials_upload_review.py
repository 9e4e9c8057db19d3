"""In Chromium: upload a template, watch a real Celery worker pass it without reloading, see its face
boxes; then, as an operator, approve a flagged material from the queue with the keyboard."""

import pytest

from tests.conftest import PASSWORD, browser_mfa_verify
from tests.materials.conftest import fit, side_face

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def _sign_in(page, username: str) -> None:
    # Waits for the post-login page itself: the next goto must not race the login's navigation.
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".auth-card button[type=submit]")  # not the language switch, also a submit button
    page.wait_for_url(lambda url: "/login/" not in url)
    browser_mfa_verify(page, username)  # operators have two-step verification on


def test_it_uploads_reviews_live_and_an_operator_approves_with_the_keyboard(
        celery_worker_process, alice, operator, page, browser, tmp_path):
    from campaigns.services import campaign_create
    from materials.models import Material, MaterialStatus
    from materials.services import material_create

    campaign = campaign_create(account=alice.account, actor=alice.owner.user, name="浏览器活动")
    photo = tmp_path / "portrait.jpg"
    photo.write_bytes(fit("obama.jpg"))

    _sign_in(page, "alice-owner")
    page.goto(page.base_url + f"/materials/upload/?campaign={campaign.project_id}")
    page.set_input_files("[data-testid=file-input]", str(photo))
    link = page.locator("[data-testid=uploaded-link]")
    link.wait_for()
    # The status cell is swapped in by htmx and polls until the worker has decided: no reload.
    page.locator(".upload-list [data-status='21']").wait_for(timeout=60_000)
    assert "已用 1 / 共 10" in page.inner_text("[data-testid=upload-quota]")  # the header followed the upload
    material = Material.objects.get(account=alice.account)
    assert material.status == MaterialStatus.MACHINE_PASSED
    link.click()
    page.wait_for_url(f"**/materials/{material.model_id}/")
    box = page.locator(".face-box[data-face-id='face_0']")
    assert box.is_visible()
    assert box.bounding_box()["width"] > 20

    flagged = material_create(account=alice.account, campaign=campaign, actor=alice.owner.user, data=side_face(),
                              name="侧脸")
    for _ in range(120):
        flagged.refresh_from_db()
        if flagged.review_stage == "operator":
            break
        page.wait_for_timeout(250)
    assert flagged.status == MaterialStatus.REVIEWING and flagged.review_stage == "operator"

    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    ops = context.new_page()
    ops.base_url = page.base_url
    try:
        _sign_in(ops, "ops-1")
        ops.goto(ops.base_url + "/materials/review/")
        item = ops.locator(f".queue-item[data-model-id='{flagged.model_id}']")
        item.wait_for()
        assert "current" in item.get_attribute("class")
        ops.keyboard.press("a")
        ops.locator("[data-testid=queue-empty]").wait_for()
    finally:
        context.close()
    flagged.refresh_from_db()
    assert flagged.status == MaterialStatus.MANUAL_PASSED
