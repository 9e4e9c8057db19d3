"""Nothing uploaded is stored byte for byte: proof scans and materials are re-encoded from their
pixels (no comment, text chunk, EXIF/GPS or trailing bytes survive; a truncated image is refused),
and a proof PDF must parse and is rewritten from its pages."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image, PngImagePlugin

from materials import services
from materials.models import CopyrightProof
from tests.materials.conftest import fit, scan_pdf

pytestmark = pytest.mark.django_db

SCRIPT = b"<script>alert(document.cookie)</script>"


def _stored(proof) -> bytes:
    with default_storage.open(proof.file.name, "rb") as fh:
        return fh.read()


def _proof(tenant, material, data: bytes):
    return services.proof_create(account=tenant.account, material=material, actor=tenant.owner.user, data=data,
                                 filename="scan")


def _gps_jpeg(*, comment: bytes = b"") -> bytes:
    img = Image.open(io.BytesIO(fit("obama.jpg", side=300)))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}  # GPSInfo: Shanghai
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, comment=comment, quality=90)
    return out.getvalue()


def test_a_proof_scan_loses_its_gps_and_its_comment(alice, make_material):
    data = _gps_jpeg(comment=SCRIPT)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825) and SCRIPT in data
    stored = _stored(_proof(alice, make_material(alice, review=False), data))
    img = Image.open(io.BytesIO(stored))
    assert img.format == "JPEG" and max(img.size) == 300
    assert not img.getexif() and "comment" not in img.info and SCRIPT not in stored


def test_a_png_with_html_appended_is_stored_without_it(alice, make_material):
    clean = fit("obama.jpg", side=300, fmt="PNG")
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    out = io.BytesIO()
    Image.open(io.BytesIO(clean)).save(out, "PNG", pnginfo=info)
    data = out.getvalue() + b"<html><body>" + SCRIPT + b"</body></html>"
    stored = _stored(_proof(alice, make_material(alice, review=False), data))
    assert b"<html>" not in stored and SCRIPT not in stored
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(clean)).tobytes()


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_a_truncated_scan_is_refused(alice, make_material, cut):
    data = _gps_jpeg()
    with pytest.raises(ValidationError) as exc:
        _proof(alice, make_material(alice, review=False), data[: int(len(data) * cut)])
    assert exc.value.code == "damaged"
    assert not CopyrightProof.objects.exists()


@pytest.mark.parametrize("data", [b"%PDF-1.4<html><script>alert(1)</script>", b"%PDF-1.7\n%%EOF\n",
                                  scan_pdf()[:-200]])
def test_a_pdf_that_does_not_parse_is_refused(alice, make_material, data):
    with pytest.raises(ValidationError) as exc:
        _proof(alice, make_material(alice, review=False), data)
    assert exc.value.code == "damaged"
    assert not CopyrightProof.objects.exists()


def test_a_pdf_is_rewritten_from_its_pages_without_its_script(alice, make_material):
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=io.BytesIO(scan_pdf("licence")))
    action = writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                                                  NameObject("/JS"): TextStringObject("app.alert('hi');")}))
    names = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("hi"), action])})
    writer.root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): names})
    writer.root_object[NameObject("/OpenAction")] = action
    out = io.BytesIO()
    writer.write(out)
    scripted = out.getvalue()
    assert b"/JavaScript" in scripted
    proof = _proof(alice, make_material(alice, review=False), scripted)
    stored = _stored(proof)
    assert proof.content_type == "application/pdf"
    assert b"/JavaScript" not in stored and b"/OpenAction" not in stored
    reader = PdfReader(io.BytesIO(stored), strict=True)
    assert len(reader.pages) == 1 and "licence" in reader.pages[0].extract_text()


def test_a_material_loses_a_jpeg_comment(alice, make_campaign):
    data = _gps_jpeg(comment=SCRIPT)
    campaign = make_campaign(alice)
    material = services.material_create(account=alice.account, campaign=campaign, actor=alice.owner.user, data=data,
                                        filename="poster.jpg")
    stored = default_storage.open(material.image.name, "rb").read()
    assert SCRIPT not in stored
    img = Image.open(io.BytesIO(stored))
    assert "comment" not in img.info and not img.getexif()
