"""The test-effect pages: who may use them, ownership, validation; the run itself is in the browser test."""

import io

from PIL import Image

from fusion.models import FusionJob, JobSource
from tests.api.conftest import approved_material
from tests.conftest import login


def test_it_lists_campaigns_and_shows_the_template_faces(alice, alice_material):
    client = login(alice.developer)
    page = client.get("/test-effect/")
    assert page.status_code == 200 and alice_material.campaign.project_id in page.content.decode()
    page = client.get(f"/test-effect/?material={alice_material.model_id}")
    body = page.content.decode()
    assert 'data-face-id="face_0"' in body and 'data-testid="run-form"' in body


def test_it_opens_the_only_campaign_at_once_and_asks_when_there_are_several(alice, alice_material):
    from campaigns.services import campaign_create

    client = login(alice.developer)
    body = client.get("/test-effect/").content.decode()
    assert 'data-testid="material-select"' in body and alice_material.model_id in body
    campaign_create(account=alice.account, actor=alice.owner.user, name="第二个活动", version="faceswap")
    body = client.get("/test-effect/").content.decode()
    assert 'data-testid="material-select"' not in body


def test_it_is_closed_to_roles_without_test_effect(alice, alice_material, faces_dir):
    photo = (faces_dir / "obama.jpg").read_bytes()
    for role in ("viewer", "finance"):
        client = login(alice.member(role))
        assert client.get("/test-effect/").status_code == 403
        # The write is refused too, not only the page: no job is made.
        resp = client.post(f"/test-effect/materials/{alice_material.model_id}/run/",
                           {"photo_1": io.BytesIO(photo), "face_1": "face_0"})
        assert resp.status_code == 403, role
    assert not FusionJob.objects.exists()


def test_it_answers_another_accounts_ids_with_404(alice, bob, bob_material, faces_dir):
    client = login(alice.developer)
    assert client.get(f"/test-effect/?material={bob_material.model_id}").status_code == 404
    assert client.get(f"/test-effect/?campaign={bob_material.campaign.project_id}").status_code == 404
    photo = (faces_dir / "obama.jpg").read_bytes()
    resp = client.post(f"/test-effect/materials/{bob_material.model_id}/run/",
                       {"photo_1": io.BytesIO(photo), "face_1": "face_0"})
    assert resp.status_code == 404
    assert not FusionJob.objects.exists()  # refused before any job was made (or billed, or queued)
    from fusion.services import fusion_test_run

    job = fusion_test_run(account=bob.account, member=bob.developer, material=bob_material, photos=[(photo, "face_0")])
    assert client.get(f"/test-effect/jobs/{job.id}/").status_code == 404
    assert client.get(f"/test-effect/jobs/{job.id}/status/").status_code == 404
    assert client.get("/test-effect/jobs/not-a-uuid/").status_code == 404


def test_it_starts_a_console_job_and_shows_its_progress(alice, alice_material, faces_dir):
    client = login(alice.developer)
    with open(faces_dir / "obama.jpg", "rb") as fh:
        resp = client.post(f"/test-effect/materials/{alice_material.model_id}/run/",
                           {"photo_1": fh, "face_1": "face_0"})
    assert resp.status_code == 302
    job = FusionJob.objects.get(account=alice.account)
    assert job.source == JobSource.CONSOLE_TEST and job.status == "queued"
    assert resp["Location"] == f"/test-effect/jobs/{job.id}/"
    page = client.get(resp["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'data-testid="source-image"' in page


def test_it_refuses_files_that_are_not_images(alice, alice_material):
    client = login(alice.developer)
    resp = client.post(f"/test-effect/materials/{alice_material.model_id}/run/",
                       {"photo_1": io.BytesIO(b"GIF89a not an image"), "face_1": "face_0"})
    assert resp.status_code == 400
    assert "JPG" in resp.content.decode()
    assert not FusionJob.objects.exists()


def test_it_asks_for_at_least_one_photo(alice, alice_material):
    resp = login(alice.developer).post(f"/test-effect/materials/{alice_material.model_id}/run/", {"face_1": "face_0"})
    assert resp.status_code == 400
    assert not FusionJob.objects.exists()


def test_it_refuses_a_material_under_review(alice, alice_material, faces_dir):
    from materials.services import material_create

    buf = io.BytesIO()
    Image.open(faces_dir / "obama2.jpg").convert("RGB").resize((313, 600)).save(buf, "JPEG", quality=85)
    pending = material_create(account=alice.account, campaign=alice_material.campaign, actor=alice.owner.user,
                              data=buf.getvalue(), filename="x.jpg")
    page = login(alice.developer).get(f"/test-effect/?material={pending.model_id}").content.decode()
    assert 'data-testid="not-usable"' in page


def test_it_offers_degrees_only_for_versions_that_have_them(alice, alice_material, faces_dir):
    material = approved_material(alice, faces_dir / "astronaut_collins.png", version="reinvent")
    client = login(alice.developer)
    page = client.get(f"/test-effect/?material={material.model_id}").content.decode()
    assert 'name="face_degree"' in page and 'value="30"' in page
    swap = client.get(f"/test-effect/?material={alice_material.model_id}").content.decode()  # 换脸版: no degrees
    assert 'data-testid="run-form"' in swap and 'name="face_degree"' not in swap
    assert 'name="profile_degree"' not in swap


def test_it_offers_only_usable_materials_and_says_why_the_others_are_missing(alice, alice_material):
    from materials.models import Material, MaterialStatus

    campaign = alice_material.campaign
    for status, name in ((MaterialStatus.MACHINE_FAILED, "失败的素材"), (MaterialStatus.REVIEWING, "审核中的素材")):
        Material.objects.create(account=alice.account, campaign=campaign, name=name, image=alice_material.image.name,
                                image_format="JPEG", width=100, height=100, byte_size=1, status=status)
    response = login(alice.developer).get(f"/test-effect/?campaign={campaign.project_id}")
    body = response.content.decode()
    select = body[body.index('data-testid="material-select"'):body.index("</select>", body.index("material-select"))]
    assert alice_material.model_id in select and "失败的素材" not in select and "审核中的素材" not in select
    missing = body[body.index('data-testid="missing-materials"'):]
    assert "另有 2 个素材暂不可用" in missing and "机器审核不通过 1" in missing and "审核中 1" in missing


def test_recent_runs_show_names_beside_the_ids(alice, alice_material):
    from django.utils import timezone

    FusionJob.objects.create(account=alice.account, request_id="req-names", source=JobSource.CONSOLE_TEST,
                             campaign_project_id=alice_material.campaign.project_id,
                             material_model_id=alice_material.model_id, version="faceswap",
                             deadline_at=timezone.now())
    body = login(alice.developer).get("/test-effect/").content.decode()
    recent = body[body.index('data-testid="recent"'):]
    assert alice_material.name in recent and alice_material.model_id in recent
    assert alice_material.campaign.name in recent
