"""测试效果 · 专业版: only where FuseFaceUltra is on, who may use it, validation with nothing left
behind, the job it makes, its job page and ownership; the run itself is in the browser test."""

import io

from django.core.files.storage import default_storage

from fusion.models import FusionJob
from tests.conftest import login

ULTRA_URL = "/test-effect/ultra/"


def _turn_on(tenant, operator) -> None:
    from billing.services import ultra_access_set

    ultra_access_set(account=tenant.account, action="enable", actor=operator)


def _post(client, faces_dir, **extra):
    data = {"template": io.BytesIO((faces_dir / "two_people.jpg").read_bytes()),
            "photo_1": io.BytesIO((faces_dir / "obama.jpg").read_bytes()), "face_1": "face_1",
            "photo_2": io.BytesIO((faces_dir / "cruz.jpg").read_bytes()), "face_2": "face_0",
            "model_type": "4", "warp": "0.3", "enhance": "0.8", "smooth": "0", "teeth": "on"}
    data.update(extra)
    return client.post(ULTRA_URL, {k: v for k, v in data.items() if v is not None})


def test_it_says_it_is_off_until_an_operator_turns_it_on(alice, operator, faces_dir):
    client = login(alice.developer)
    page = client.get(ULTRA_URL).content.decode()
    assert 'data-testid="ultra-off"' in page and 'data-testid="ultra-form"' not in page
    assert _post(client, faces_dir).status_code == 400 and not FusionJob.objects.exists()
    _turn_on(alice, operator)
    page = client.get(ULTRA_URL).content.decode()
    assert 'data-testid="ultra-form"' in page and 'data-testid="tab-ultra"' in page


def test_it_makes_a_console_test_job_with_the_template_and_the_knobs(alice, operator, faces_dir):
    _turn_on(alice, operator)
    response = _post(login(alice.developer), faces_dir)
    job = FusionJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/test-effect/jobs/{job.id}/"
    assert (job.action, job.source, job.version) == ("FuseFaceUltra", "console_test", "ultra-4")
    assert job.options == {"model_type": 4, "warp": 0.3, "enhance": 0.8, "smooth": 0.0, "teeth": True,
                           "makeup": False}
    assert [m["template_face_id"] for m in job.mappings] == ["face_1", "face_0"]
    with default_storage.open(job.template_name, "rb") as fh:
        assert fh.read() == (faces_dir / "two_people.jpg").read_bytes()
    page = login(alice.developer).get(f"/test-effect/jobs/{job.id}/").content.decode()
    assert 'data-testid="ultra-options"' in page and 'data-testid="template-image"' in page
    assert job.id.hex[:8] in login(alice.developer).get(ULTRA_URL).content.decode().replace("-", "")


def test_the_standard_tab_lists_its_own_runs_only(alice, operator, faces_dir):
    _turn_on(alice, operator)
    _post(login(alice.developer), faces_dir)
    body = login(alice.developer).get("/test-effect/").content.decode()
    assert 'data-testid="recent"' not in body and 'data-testid="tab-standard"' in body


def test_it_refuses_bad_input_and_keeps_nothing(alice, operator, faces_dir, settings):
    from pathlib import Path

    _turn_on(alice, operator)
    client = login(alice.developer)
    for extra in ({"template": io.BytesIO(b"GIF89a not an image")}, {"model_type": "7"}, {"warp": "1.5"},
                  {"photo_1": None, "photo_2": None}, {"face_2": "face_1"}):
        response = _post(client, faces_dir, **extra)
        assert response.status_code == 400, extra
    assert not FusionJob.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))  # no upload left behind


def test_it_is_closed_to_roles_without_test_effect(alice, operator, faces_dir):
    _turn_on(alice, operator)
    for role in ("viewer", "finance"):
        client = login(alice.member(role))
        assert client.get(ULTRA_URL).status_code == 403
        assert _post(client, faces_dir).status_code == 403, role
    assert not FusionJob.objects.exists()


def test_another_accounts_run_answers_404(alice, bob, operator, faces_dir):
    _turn_on(alice, operator)
    _post(login(alice.developer), faces_dir)
    job = FusionJob.objects.get()
    client = login(bob.developer)
    assert client.get(f"/test-effect/jobs/{job.id}/").status_code == 404
    assert client.get(f"/test-effect/jobs/{job.id}/status/").status_code == 404
