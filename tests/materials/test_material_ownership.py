"""Another account's material, proof or appeal answers 404 on every endpoint, and nothing changes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from console.models import AuditEvent
from materials import services
from materials.models import CopyrightProof, Material, MaterialStatus
from materials.selectors import material_find, material_list_for_api
from tests.conftest import login
from tests.materials.conftest import landscape, scan_pdf

pytestmark = pytest.mark.django_db


def test_every_material_endpoint_answers_404_for_another_accounts_material(alice, bob, make_material):
    material = make_material(bob, landscape())
    proof = services.proof_create(account=bob.account, material=material, actor=bob.owner.user,
                                  data=scan_pdf())
    own = make_material(alice, review=False)
    client = login(alice.owner)
    audit_before = AuditEvent.objects.count()
    # Bob's ModelId answers exactly like one that does not exist.
    for mid in (material.model_id, "mt_doesnotexist0000"):
        posts = {
            "materials:rename": {"name": "mine"}, "materials:degrees": {"face_degree": 10},
            "materials:appeal": {"text": "mine"}, "materials:delete": {},
            "materials:proof_upload": {"kind": "original", "file": SimpleUploadedFile("p.pdf", scan_pdf())},
        }
        for name in ("materials:detail", "materials:status", "materials:proof_template"):
            assert client.get(reverse(name, args=[mid])).status_code == 404, (name, mid)
        assert client.get(reverse("materials:proof_download", args=[mid, proof.public_id])).status_code == 404
        for name, data in posts.items():
            assert client.post(reverse(name, args=[mid]), data).status_code == 404, (name, mid)
        upload = client.post(reverse("materials:upload"), {"campaign": material.campaign.project_id,
                                                           "replaces": mid}, HTTP_ACCEPT="application/json")
        assert upload.status_code == 404, mid
    # Bob's proof id under one of alice's own materials is not hers either.
    assert client.get(reverse("materials:proof_download", args=[own.model_id, proof.public_id])).status_code == 404
    material.refresh_from_db()
    assert (material.name, material.status, material.appealed) == ("素材", MaterialStatus.MACHINE_FAILED, False)
    assert (material.face_degree, material.appeal_text) == (None, "")
    assert CopyrightProof.objects.count() == 1
    assert AuditEvent.objects.count() == audit_before


def test_the_list_and_selectors_never_show_another_accounts_materials(alice, bob, make_material):
    material = make_material(bob, review=False)
    assert material_find(account=alice.account, model_id=material.model_id) is None
    assert material_list_for_api(account=alice.account, project_id=None, model_id=material.model_id, offset=0,
                                 limit=10) == ([], 0)
    assert material_list_for_api(account=alice.account, project_id=material.campaign.project_id, model_id=None,
                                 offset=0, limit=10) == ([], 0)
    body = login(alice.owner).get(reverse("materials:list") + "?campaign=" + material.campaign.project_id)
    assert material.model_id not in body.content.decode()


def test_uploading_into_another_accounts_campaign_is_refused(alice, bob, make_campaign):
    from tests.materials.conftest import fit

    campaign = make_campaign(bob)
    response = login(alice.owner).post(reverse("materials:upload"), {
        "campaign": campaign.project_id, "file": SimpleUploadedFile("a.jpg", fit("obama.jpg"))},
        HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert not Material.objects.exists()
