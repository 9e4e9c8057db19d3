"""One appeal per failed material (22 or 2 → 3), decided by an operator (11 / 12)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from materials import operators, services
from materials.models import Material, MaterialStatus
from materials.selectors import material_is_usable, review_queue
from tests.conftest import login
from tests.materials.conftest import landscape, side_face

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused(alice, make_material):
    material = make_material(alice, landscape())
    assert material.status == MaterialStatus.MACHINE_FAILED
    return material


def test_it_appeals_a_machine_failure_once(alice, refused):
    material = services.material_appeal(account=alice.account, material=refused, actor=alice.owner.user,
                                        text="图中是卡通人脸，请人工复核")
    assert material.status == MaterialStatus.APPEALING and material.appealed
    assert review_queue().filter(id=refused.id).exists()
    with pytest.raises(ValidationError) as exc:
        services.material_appeal(account=alice.account, material=material, actor=alice.owner.user, text="again")
    assert exc.value.code == "appealed"


def test_an_appeal_decided_for_the_customer_makes_it_usable(alice, refused, operator):
    services.material_appeal(account=alice.account, material=refused, actor=alice.owner.user, text="请复核")
    material = operators.material_decide(material_id=refused.id, actor=operator, approve=True, expected_status=3)
    assert material.status == MaterialStatus.APPEAL_PASSED and material_is_usable(material)


def test_a_refused_appeal_cannot_be_appealed_again(alice, refused, operator):
    services.material_appeal(account=alice.account, material=refused, actor=alice.owner.user, text="请复核")
    material = operators.material_decide(material_id=refused.id, actor=operator, approve=False, reason="无人脸")
    assert material.status == MaterialStatus.APPEAL_FAILED
    with pytest.raises(ValidationError):
        services.material_appeal(account=alice.account, material=material, actor=alice.owner.user, text="再试")


def test_a_manual_failure_can_be_appealed(alice, make_material, operator):
    material = make_material(alice, side_face())
    material = operators.material_decide(material_id=material.id, actor=operator, approve=False, reason="侧脸")
    material = services.material_appeal(account=alice.account, material=material, actor=alice.owner.user,
                                        text="侧脸是创意需要")
    assert material.status == MaterialStatus.APPEALING
    assert operators.material_decide(material_id=material.id, actor=operator, approve=True).status == 11


@pytest.mark.parametrize("status", [0, 21, 1, 3, 11, 12])
def test_other_statuses_cannot_be_appealed(alice, make_material, status):
    material = make_material(alice, review=False)
    Material.objects.filter(id=material.id).update(status=status)
    material.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.material_appeal(account=alice.account, material=material, actor=alice.owner.user, text="x")
    assert exc.value.code == "status"


def test_an_empty_appeal_is_refused(alice, refused):
    with pytest.raises(ValidationError):
        services.material_appeal(account=alice.account, material=refused, actor=alice.owner.user, text="  ")


def test_the_page_appeals_once_and_hides_the_form_afterwards(alice, refused):
    client = login(alice.admin)
    detail = reverse("materials:detail", args=[refused.model_id])
    assert 'data-testid="appeal-form"' in client.get(detail).content.decode()
    client.post(reverse("materials:appeal", args=[refused.model_id]), {"text": "请复核"})
    assert Material.objects.get(id=refused.id).status == MaterialStatus.APPEALING
    body = client.get(detail).content.decode()
    assert 'data-testid="appeal-form"' not in body and "请复核" in body
    response = client.post(reverse("materials:appeal", args=[refused.model_id]), {"text": "再来"}, follow=True)
    assert Material.objects.get(id=refused.id).appeal_text == "请复核"
    assert response.status_code == 200


def test_a_viewer_cannot_appeal(alice, refused):
    assert login(alice.viewer).post(reverse("materials:appeal", args=[refused.model_id]),
                                    {"text": "x"}).status_code == 403
