"""The material list, detail (face boxes, crop advice), live status cell, degrees and deletion."""

import pytest
from django.urls import reverse

from materials.models import Material
from tests.conftest import login
from tests.materials.conftest import fit, landscape

pytestmark = pytest.mark.django_db


def test_the_list_shows_thumbnail_modelid_status_and_reason(alice, make_material):
    passed = make_material(alice, fit("obama.jpg"))
    body = login(alice.viewer).get(reverse("materials:list")).content.decode()
    assert passed.model_id in body and 'class="thumb"' in body and 'data-copy="' + passed.model_id in body
    assert 'data-status="21"' in body


def test_the_list_filters_by_status_and_campaign(alice, make_material, make_campaign):

    passed = make_material(alice, fit("obama.jpg"))
    other = make_material(alice, landscape(), campaign=make_campaign(alice, name="夏日"))
    client = login(alice.owner)
    body = client.get(reverse("materials:list") + "?status=22").content.decode()
    assert other.model_id in body and passed.model_id not in body
    body = client.get(reverse("materials:list") + f"?campaign={passed.campaign.project_id}").content.decode()
    assert passed.model_id in body and other.model_id not in body


def test_the_status_cell_polls_only_while_the_machine_reviews(alice, make_material):
    from materials.review import material_review_run

    material = make_material(alice, review=False)
    client = login(alice.owner)
    url = reverse("materials:status", args=[material.model_id])
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    material_review_run(material_id=material.id)
    body = client.get(url).content.decode()
    assert 'hx-trigger' not in body and 'data-status="21"' in body


def test_the_detail_page_draws_each_face_box_with_its_faceid(alice, make_material):
    material = make_material(alice, fit("two_people.jpg", side=1000))
    body = login(alice.developer).get(reverse("materials:detail", args=[material.model_id])).content.decode()
    assert body.count('class="face-box"') == 2
    assert 'data-face-id="face_0"' in body and 'data-face-id="face_1"' in body


def test_the_detail_page_links_a_usable_material_to_the_test_effect_page(alice, make_material):
    passed = make_material(alice, fit("obama.jpg"))
    refused = make_material(alice, landscape(), campaign=passed.campaign)
    client = login(alice.developer)
    link = f'{reverse("fusion:test_effect")}?material={passed.model_id}'
    assert link in client.get(reverse("materials:detail", args=[passed.model_id])).content.decode()
    body = client.get(reverse("materials:detail", args=[refused.model_id])).content.decode()
    assert reverse("fusion:test_effect") + "?material=" not in body
    viewer_body = login(alice.viewer).get(reverse("materials:detail", args=[passed.model_id])).content.decode()
    assert link not in viewer_body


def test_the_detail_page_offers_crop_advice_when_the_face_lacks_margin(alice, make_material):
    from io import BytesIO

    from PIL import Image

    img = Image.open(BytesIO(fit("cruz.jpg", side=800)))  # the face fills the frame from side to side
    tight = img.crop((40, 170, 520, 640))
    out = BytesIO()
    tight.save(out, "JPEG", quality=90)
    material = make_material(alice, out.getvalue())
    body = login(alice.owner).get(reverse("materials:detail", args=[material.model_id])).content.decode()
    assert 'data-testid="crop-advice"' in body and 'id="apply-crop"' in body
    easy = make_material(alice, fit("obama.jpg"), campaign=material.campaign)
    body = login(alice.owner).get(reverse("materials:detail", args=[easy.model_id])).content.decode()
    assert 'data-testid="crop-advice"' not in body


def test_degrees_are_per_material_only_for_morphing_versions(alice, make_material, make_campaign):
    from materials.selectors import material_effective_degrees

    morph = make_campaign(alice, name="优享", version="reinvent")
    material = make_material(alice, review=False, campaign=morph)
    assert material_effective_degrees(material) == (30, 30)
    client = login(alice.owner)
    client.post(reverse("materials:degrees", args=[material.model_id]), {"face_degree": 70, "profile_degree": ""})
    material.refresh_from_db()
    assert material_effective_degrees(material) == (70, 30)
    swap = make_material(alice, review=False)
    client.post(reverse("materials:degrees", args=[swap.model_id]), {"face_degree": 70, "profile_degree": 70})
    swap.refresh_from_db()
    assert swap.face_degree is None


def test_deleting_a_material_removes_it_and_its_file(alice, make_material, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    material = make_material(alice, review=False)
    assert login(alice.viewer).post(reverse("materials:delete", args=[material.model_id])).status_code == 403
    name = material.image.name
    with django_capture_on_commit_callbacks(execute=True):
        response = login(alice.owner).post(reverse("materials:delete", args=[material.model_id]))
    assert response.status_code == 302
    assert not Material.objects.filter(id=material.id).exists()
    assert not default_storage.exists(name)


def test_a_rename_is_recorded(alice, make_material):
    from console.models import AuditEvent

    material = make_material(alice, review=False)
    login(alice.owner).post(reverse("materials:rename", args=[material.model_id]), {"name": "新名字"})
    material.refresh_from_db()
    assert material.name == "新名字"
    event = AuditEvent.objects.get(action="material.rename", target_id=material.model_id)
    assert (event.actor, event.reason) == (alice.owner.user, "素材 → 新名字")


def test_renaming_or_setting_degrees_of_a_deleted_material_writes_no_audit_row(alice, make_material,
                                                                               make_campaign):
    from django.core.exceptions import ValidationError

    from console.models import AuditEvent
    from materials import services

    material = make_material(alice, review=False, campaign=make_campaign(alice, version="reinvent"))
    services.material_delete(account=alice.account, material=material, actor=alice.owner.user)
    with pytest.raises(ValidationError):
        services.material_rename(material=material, actor=alice.owner.user, name="新名字")
    with pytest.raises(ValidationError):
        services.material_set_degrees(material=material, actor=alice.owner.user, face_degree=10, profile_degree=None)
    assert not AuditEvent.objects.filter(action__in=["material.rename", "material.degrees"]).exists()


def test_the_detail_page_says_whether_the_material_can_be_fused(alice, make_material):

    client = login(alice.owner)
    passed = make_material(alice, fit("obama.jpg"))
    refused = make_material(alice, landscape(), campaign=passed.campaign)
    assert "status-passed\">可用" in client.get(reverse("materials:detail", args=[passed.model_id])).content.decode()
    assert "暂不可用" in client.get(reverse("materials:detail", args=[refused.model_id])).content.decode()
