"""Operator-only lists: the public-figure gallery, protected images and reason templates."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from materials.models import ProtectedImage, PublicFigure, ReasonTemplate
from tests.conftest import login
from tests.materials.conftest import fit, landscape

pytestmark = pytest.mark.django_db


def test_an_operator_adds_a_person_with_embeddings(operator):
    response = login(operator).post(reverse("materials:gallery"), {
        "name": "Barack Obama", "note": "", "photos": [SimpleUploadedFile("o.jpg", fit("obama.jpg"))]})
    assert response.status_code == 302
    figure = PublicFigure.objects.get()
    assert len(figure.photos.get().embedding) == 128
    body = login(operator).get(reverse("materials:gallery")).content.decode()
    assert "Barack Obama" in body


def test_a_photo_without_a_face_is_refused_for_the_gallery(operator):
    response = login(operator).post(reverse("materials:gallery"), {
        "name": "Nobody", "photos": [SimpleUploadedFile("l.jpg", landscape())]})
    assert response.status_code == 200 and not PublicFigure.objects.exists()


def test_an_operator_adds_and_removes_a_protected_image(operator):
    client = login(operator)
    client.post(reverse("materials:protected"), {"name": "海报", "image": SimpleUploadedFile("p.jpg", fit("cruz.jpg"))})
    item = ProtectedImage.objects.get()
    assert len(item.phash) == 16
    client.post(reverse("materials:protected_delete", args=[item.id]))
    assert not ProtectedImage.objects.exists()


def test_reason_templates_are_added_and_removed(operator):
    client = login(operator)
    client.post(reverse("materials:reason_add"), {"text": "图片含有水印"})
    template = ReasonTemplate.objects.get()
    assert "图片含有水印" in client.get(reverse("materials:review_queue")).content.decode()
    client.post(reverse("materials:reason_delete", args=[template.id]))
    assert not ReasonTemplate.objects.exists()


@pytest.mark.parametrize("method,name", [("get", "materials:gallery"), ("get", "materials:protected"),
                                         ("post", "materials:gallery_bulk"), ("get", "materials:review_queue")])
def test_customers_cannot_open_operator_pages(alice, method, name):
    assert getattr(login(alice.owner), method)(reverse(name)).status_code == 403


def test_an_operator_sees_any_accounts_material(alice, operator, make_material):
    material = make_material(alice, fit("obama.jpg"))
    body = login(operator).get(reverse("materials:ops_detail", args=[material.model_id])).content.decode()
    assert material.model_id in body and str(alice.account.app_id) in body
    assert login(alice.owner).get(reverse("materials:ops_detail", args=[material.model_id])).status_code == 403


def test_an_operator_decides_from_the_material_page(alice, operator, make_material):
    from materials.models import MaterialStatus
    from tests.materials.conftest import side_face

    material = make_material(alice, side_face())
    client = login(operator)
    body = client.get(reverse("materials:ops_detail", args=[material.model_id])).content.decode()
    assert reverse("materials:review_decide", args=[material.model_id]) in body
    client.post(reverse("materials:review_decide", args=[material.model_id]),
                {"decision": "approve", "expected_status": 0})
    material.refresh_from_db()
    assert material.status == MaterialStatus.MANUAL_PASSED
