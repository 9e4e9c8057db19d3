"""Copyright proofs: the printable template, the sniffed upload, downloads for the account and operators."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from materials import services
from materials.models import CopyrightProof
from tests.conftest import login
from tests.materials.conftest import fit, scan_pdf

pytestmark = pytest.mark.django_db

PDF = scan_pdf()


def test_it_accepts_pdf_jpg_and_png_by_content(alice, make_material):
    material = make_material(alice, review=False)
    for data, ctype in ((PDF, "application/pdf"), (fit("obama.jpg", side=300), "image/jpeg"),
                        (fit("obama.jpg", side=300, fmt="PNG"), "image/png")):
        proof = services.proof_create(account=alice.account, material=material, actor=alice.owner.user, data=data,
                                      filename="scan.pdf")
        assert proof.content_type == ctype
        assert proof.public_id.startswith("cp_") and "scan" not in proof.file.name


@pytest.mark.parametrize("data", [b"<html>proof</html>", b"GIF89a....", b"PK\x03\x04 zip", b""])
def test_it_refuses_other_files(alice, make_material, data):
    material = make_material(alice, review=False)
    with pytest.raises(ValidationError):
        services.proof_create(account=alice.account, material=material, actor=alice.owner.user, data=data,
                              filename="proof.pdf")
    assert not CopyrightProof.objects.exists()


def test_a_proof_for_a_material_deleted_meanwhile_is_refused_and_not_stored(alice, make_material):
    from django.core.files.storage import default_storage

    material = make_material(alice, review=False)
    services.material_delete(account=alice.account, material=material, actor=alice.owner.user)
    with pytest.raises(ValidationError):
        services.proof_create(account=alice.account, material=material, actor=alice.owner.user, data=PDF)
    assert not CopyrightProof.objects.exists()
    _dirs, files = default_storage.listdir(f"proofs/{alice.account.app_id}") if default_storage.exists(
        f"proofs/{alice.account.app_id}") else ([], [])
    assert files == []


def test_it_refuses_a_proof_over_the_size_limit(alice, make_material, settings):
    settings.MATERIAL_PROOF_MAX_BYTES = 1000
    material = make_material(alice, review=False)
    with pytest.raises(ValidationError) as exc:
        services.proof_create(account=alice.account, material=material, actor=alice.owner.user,
                              data=PDF + b"0" * 2000)
    assert exc.value.code == "too_big"


def test_the_page_uploads_and_the_account_and_operators_download(alice, bob, operator, make_material):
    material = make_material(alice, review=False)
    client = login(alice.admin)
    client.post(reverse("materials:proof_upload", args=[material.model_id]),
                {"kind": "licence", "file": SimpleUploadedFile("授权书.pdf", PDF)})
    proof = CopyrightProof.objects.get()
    assert proof.kind == "licence"
    url = reverse("materials:proof_download", args=[material.model_id, proof.public_id])
    for who in (alice.viewer, operator):
        response = login(who).get(url)
        assert response.status_code == 302
        served = login(who).get(response["Location"])
        assert served.status_code == 200
        assert b"".join(served.streaming_content) == default_storage.open(proof.file.name, "rb").read()
    assert login(bob.owner).get(url).status_code == 404
    assert login(alice.finance).get(url).status_code == 403  # finance does not see materials
    assert client.get(reverse("materials:proof_download", args=[material.model_id, "cp_nope"])).status_code == 404


def test_the_template_is_prefilled_with_company_appid_campaign_and_projectid(alice, make_material):
    material = make_material(alice, review=False)
    for kind in ("original", "licence"):
        body = login(alice.owner).get(reverse("materials:proof_template", args=[material.model_id]) +
                                      f"?kind={kind}").content.decode()
        for value in (alice.account.name, str(alice.account.app_id), material.campaign.name,
                      material.campaign.project_id, material.model_id):
            assert value in body
    assert login(alice.owner).get(reverse("materials:proof_template", args=[material.model_id]) +
                                  "?kind=other").status_code == 404
