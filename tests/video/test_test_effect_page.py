"""The video test-effect page end to end in Chromium: pick the video material, upload a photo, watch
the job's progress on a real video worker, play the result; and another account's job is a 404."""

import pytest

from tests.conftest import browser_login, login
from tests.video.conftest import clip_bytes, video_material

pytestmark = [pytest.mark.browser, pytest.mark.worker]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_it_runs_a_video_test_effect_end_to_end(page, video_workers, alice, bob, faces_dir):
    from billing.models import UsageRecord
    from video.models import VideoJob

    material = video_material(alice, clip_bytes(faces_dir / "biden.jpg", seconds=0.6))
    video_workers.start("video-page")
    browser_login(page, "alice-developer")
    page.click("[data-nav=test_effect]")
    page.click("[data-testid=video-test-effect-link]")
    page.wait_for_selector("[data-testid=template-video]")
    page.set_input_files("[data-testid=photo-input]", str(faces_dir / "obama2.jpg"))
    page.click("[data-testid=video-run-form] button[type=submit]")

    page.wait_for_selector("[data-testid=job-progress]")
    page.wait_for_selector("[data-testid=result-video]:not([hidden])", timeout=60_000)
    assert page.get_attribute("[data-testid=job-progress]", "aria-valuenow") == "100"
    # The browser decodes and plays the H.264 result.
    for _ in range(100):
        if page.evaluate("document.querySelector('[data-testid=result-video]').readyState") >= 1:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.querySelector('[data-testid=result-video]').videoWidth") == 320
    assert page.evaluate("document.querySelector('[data-testid=result-video]').duration") == pytest.approx(0.6,
                                                                                                        abs=0.05)

    job = VideoJob.objects.get(account=alice.account)
    assert job.source == "console_test" and job.status == "succeeded"
    record = UsageRecord.objects.get(request_id=f"video:{job.job_id}")
    assert record.source == "console_test" and not record.billable

    # Another account's job answers 404, like one that does not exist.
    assert login(bob.developer).get(f"/test-effect/video/jobs/{job.id}/").status_code == 404
    assert login(bob.developer).get(f"/test-effect/video/jobs/{job.id}/status/").status_code == 404
    assert login(bob.developer).get(f"/test-effect/video/?material={material.model_id}").status_code == 404
