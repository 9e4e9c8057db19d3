import pytest
from django.core.management import call_command

from materials.models import Material, MaterialStatus


@pytest.mark.django_db
def test_seed_demo_makes_a_campaign_with_an_approved_analysed_material_once():
    # (the fast password hasher comes from tests/materials/conftest.py's autouse fixture)
    call_command("seed_demo")
    call_command("seed_demo")
    material = Material.objects.get(kind="image")
    assert material.status == MaterialStatus.MACHINE_PASSED
    assert material.faces and material.faces[0]["face_id"] == "face_0"


@pytest.mark.django_db
def test_seed_demo_makes_a_video_campaign_with_an_approved_preprocessed_video_once():
    from fusion.engine.tracking import Track

    call_command("seed_demo")
    call_command("seed_demo")
    video = Material.objects.select_related("campaign").get(kind="video")
    assert video.campaign.kind == "video" and video.status == MaterialStatus.MACHINE_PASSED
    assert video.video_info["frames"] == 50 and video.video_info["has_audio"]
    with video.track.open("rb") as fh:
        track = Track.load(fh.read())
    assert track.present.all() and track.frames == 50
    assert video.faces and video.image.name.endswith(".jpg")


@pytest.mark.django_db
def test_seed_demo_gives_the_demo_tenant_this_months_free_pack_once():
    from billing.models import Pack, PackKind
    from console.models import Account

    call_command("seed_demo")
    call_command("seed_demo")
    pack = Pack.objects.get(kind=PackKind.FREE, product="image")
    assert pack.account == Account.objects.get() and pack.remaining == pack.calls_total == 1000
