"""The test-effect page end to end in Chromium: pick campaign and material, map a photo to a template
face, run on a real fusion worker, watch it finish, see the three pictures, download."""

import pytest

from tests.api.conftest import approved_material
from tests.conftest import browser_login, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_it_runs_a_test_effect_end_to_end(page, celery_worker_process, alice, faces_dir):
    from billing.models import UsageRecord
    from fusion.models import FusionJob

    material = approved_material(alice, faces_dir / "two_people.jpg")
    browser_login(page, "alice-developer")
    page.click("[data-nav=test_effect]")
    page.select_option("[data-testid=campaign-select]", material.campaign.project_id)
    page.wait_for_selector("[data-testid=material-select]")
    page.select_option("[data-testid=material-select]", material.model_id)
    page.wait_for_selector("[data-testid=template-figure] .te-box[data-face-id=face_1]")
    assert page.locator("[data-testid=template-figure] .te-box").count() == 2

    page.set_input_files("[data-testid=photo_1]", str(faces_dir / "obama.jpg"))
    page.select_option("select[name=face_1]", "face_1")
    page.set_input_files("[data-testid=photo_2]", str(faces_dir / "cruz.jpg"))
    page.select_option("select[name=face_2]", "face_0")
    page.click("[data-testid=run]")

    page.wait_for_selector("[data-testid=job-result]")
    assert page.locator("[data-testid=source-image]").count() == 2
    page.wait_for_selector("[data-testid=result-image]", timeout=45_000)
    wait_until(page, "() => document.querySelector('[data-testid=result-image]').naturalWidth > 0")
    assert page.evaluate("document.querySelector('[data-testid=template-image]').naturalWidth") > 0

    with page.expect_download() as info:
        page.click("[data-testid=download]")
    download = info.value
    assert download.suggested_filename.endswith(".jpg")
    with open(download.path(), "rb") as fh:
        assert fh.read(2) == b"\xff\xd8"

    job = FusionJob.objects.get(account=alice.account)
    assert job.source == "console_test" and job.status == "succeeded"
    assert [m["template_face_id"] for m in job.mappings] == ["face_1", "face_0"]
    record = UsageRecord.objects.get(request_id=job.request_id)
    assert record.source == "console_test" and not record.billable
