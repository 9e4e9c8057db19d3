"""Uploading a template: limits checked by content, hostile files refused, the stored copy clean."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from materials.models import Material, MaterialStatus
from materials.services import material_create
from tests.conftest import login
from tests.materials.conftest import fit

pytestmark = pytest.mark.django_db


def _create(tenant, campaign, data, filename="x.jpg"):
    return material_create(account=tenant.account, campaign=campaign, actor=tenant.owner.user, data=data,
                           filename=filename)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height, with a tiny (bogus) data chunk: a few KB at most."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 2048)) + \
        chunk(b"IEND", b"")


def test_it_stores_a_jpeg_under_a_generated_name_in_status_0(alice, make_campaign):
    campaign = make_campaign(alice)
    material = _create(alice, campaign, fit("obama.jpg"), filename="../../x.png")
    assert material.status == MaterialStatus.REVIEWING
    assert material.model_id.startswith("mt_")
    assert material.name == "x"
    assert ".." not in material.image.name and "x.png" not in material.image.name
    assert material.image.name.startswith(f"materials/{alice.account.app_id}/")
    assert material.image.name.endswith(".jpg")
    assert default_storage.exists(material.image.name)


def test_it_accepts_png_bytes_named_jpg_as_png(alice, make_campaign):
    material = _create(alice, make_campaign(alice), fit("astronaut_collins.png", side=512, fmt="PNG"),
                       filename="photo.jpg")
    assert material.image_format == "PNG"
    assert material.image.name.endswith(".png")
    with default_storage.open(material.image.name, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("payload", [
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00"
    b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
])
def test_it_refuses_gif_or_html_renamed_png(alice, make_campaign, payload):
    with pytest.raises(ValidationError) as exc:
        _create(alice, make_campaign(alice), payload, filename="evil.png")
    assert exc.value.code == "format"
    assert not Material.objects.exists()


def test_it_refuses_a_truncated_jpeg(alice, make_campaign):
    data = fit("obama.jpg")
    with pytest.raises(ValidationError) as exc:
        _create(alice, make_campaign(alice), data[: len(data) // 2])
    assert exc.value.code == "damaged"
    assert not Material.objects.exists()


def test_it_refuses_a_30000_pixel_header_without_decoding(alice, make_campaign):
    import tracemalloc

    bomb = _png_header_only(30000, 30000)
    assert len(bomb) < 4096
    tracemalloc.start()
    with pytest.raises(ValidationError) as exc:
        _create(alice, make_campaign(alice), bomb, filename="big.png")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert exc.value.code == "too_large"
    assert peak < 20 * 1024 * 1024  # decoding would need 2.7 GB


def test_it_refuses_a_jpeg_claiming_30000_pixels_without_decoding(alice, make_campaign):
    data = bytearray(fit("obama.jpg", side=200))
    sof = data.index(b"\xff\xc0")  # baseline frame header: length(2) precision(1) height(2) width(2)
    data[sof + 5:sof + 9] = struct.pack(">HH", 30000, 30000)
    with pytest.raises(ValidationError) as exc:
        _create(alice, make_campaign(alice), bytes(data))
    assert exc.value.code == "too_large"


def test_it_refuses_more_than_1080_pixels(alice, make_campaign):
    with pytest.raises(ValidationError) as exc:
        _create(alice, make_campaign(alice), fit("two_people.jpg", side=1100, quality=40))
    assert exc.value.code == "too_large"
    assert "1080" in exc.value.messages[0]


def test_it_refuses_more_than_500_kb(alice, make_campaign):
    noise = Image.effect_noise((1000, 1000), 120).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 500 * 1024
    with pytest.raises(ValidationError) as exc:
        _create(alice, make_campaign(alice), out.getvalue())
    assert exc.value.code == "too_big"


def test_it_applies_exif_orientation_and_strips_exif_and_gps(alice, make_campaign):
    img = Image.open(io.BytesIO(fit("obama.jpg", side=600)))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    material = _create(alice, make_campaign(alice), out.getvalue())
    assert (material.width, material.height) == (img.height, img.width)
    with default_storage.open(material.image.name, "rb") as fh:
        stored = Image.open(io.BytesIO(fh.read()))
        assert not stored.getexif()
        assert b"Exif" not in stored.info.get("exif", b"")


def test_it_refuses_uploads_to_a_disabled_campaign(alice, make_campaign):
    from campaigns.services import campaign_transition

    campaign = make_campaign(alice)
    campaign_transition(campaign=campaign, actor=alice.owner.user, action="disable")
    with pytest.raises(ValidationError) as exc:
        _create(alice, campaign, fit("obama.jpg"))
    assert exc.value.code == "disabled"


def test_it_refuses_an_upload_when_the_campaign_was_disabled_after_it_was_read(alice, make_campaign):
    from campaigns.models import Campaign
    from campaigns.services import campaign_transition

    campaign = make_campaign(alice)
    stale = Campaign.objects.get(id=campaign.id)  # read by the upload before the owner disabled it
    campaign_transition(campaign=campaign, actor=alice.owner.user, action="disable")
    with pytest.raises(ValidationError) as exc:
        _create(alice, stale, fit("obama.jpg"))
    assert exc.value.code == "disabled"
    assert not Material.objects.exists()


def test_it_refuses_an_upload_when_the_campaign_was_deleted_after_it_was_read(alice, make_campaign):
    from campaigns.models import Campaign
    from campaigns.services import campaign_delete

    campaign = make_campaign(alice)
    stale = Campaign.objects.get(id=campaign.id)
    campaign_delete(campaign=campaign, actor=alice.owner.user)
    with pytest.raises(ValidationError):
        _create(alice, stale, fit("obama.jpg"))
    assert not Material.objects.exists()


def test_the_page_uploads_several_files_and_answers_json(alice, make_campaign):
    campaign = make_campaign(alice)
    files = [SimpleUploadedFile("a.jpg", fit("obama.jpg"), content_type="image/jpeg"),
             SimpleUploadedFile("b.png", b"<html></html>", content_type="image/png")]
    response = login(alice.admin).post(reverse("materials:upload"), {"campaign": campaign.project_id, "file": files},
                                       HTTP_ACCEPT="application/json")
    results = response.json()["results"]
    assert response.status_code == 400  # one of them failed
    assert results[0]["ok"] and results[0]["model_id"].startswith("mt_")
    assert not results[1]["ok"] and results[1]["error"]
    assert Material.objects.filter(account=alice.account).count() == 1
    # The quota after the upload, so the page's header follows it without a reload.
    assert (response.json()["quota_used"], response.json()["quota_total"]) == (1, 10)


def test_the_page_refuses_a_file_over_the_limit_before_reading_it(alice, make_campaign):
    campaign = make_campaign(alice)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (600 * 1024), content_type="image/jpeg")
    response = login(alice.owner).post(reverse("materials:upload"), {"campaign": campaign.project_id, "file": big},
                                       HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "500 KB" in response.json()["results"][0]["error"]


def test_the_page_refuses_a_viewer(alice, make_campaign):
    campaign = make_campaign(alice)
    response = login(alice.viewer).post(reverse("materials:upload"), {
        "campaign": campaign.project_id, "file": SimpleUploadedFile("a.jpg", fit("obama.jpg"))})
    assert response.status_code == 403
    assert not Material.objects.exists()


def test_the_upload_page_renders_with_the_campaigns(alice, make_campaign):
    campaign = make_campaign(alice)
    response = login(alice.owner).get(reverse("materials:upload"))
    assert response.status_code == 200
    assert campaign.project_id in response.content.decode()
