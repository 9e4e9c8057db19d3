"""What fusion and the API read: usability, the template, degrees, the API list, crop advice."""

import pytest

from materials.models import Material, MaterialStatus
from materials.selectors import (
    crop_advice,
    material_effective_degrees,
    material_is_usable,
    material_list_for_api,
    material_template,
    working_day_deadline,
)
from tests.materials.conftest import fit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status,usable", [(0, False), (21, True), (22, False), (1, True), (2, False), (3, False),
                                           (11, True), (12, False)])
def test_only_passed_materials_are_usable(alice, make_material, status, usable):
    material = make_material(alice, review=False)
    Material.objects.filter(id=material.id).update(status=status)
    material.refresh_from_db()
    assert material_is_usable(material) is usable


def test_the_api_list_pages_and_filters(alice, make_material, make_campaign):
    first = make_material(alice, review=False)
    second = make_material(alice, review=False, campaign=first.campaign)
    other = make_material(alice, review=False, campaign=make_campaign(alice, name="其他"))
    items, total = material_list_for_api(account=alice.account, project_id=None, model_id=None, offset=0, limit=2)
    assert total == 3 and [m.model_id for m in items] == [other.model_id, second.model_id]
    items, total = material_list_for_api(account=alice.account, project_id=first.campaign.project_id,
                                         model_id=None, offset=1, limit=10)
    assert total == 2 and [m.model_id for m in items] == [first.model_id]
    items, total = material_list_for_api(account=alice.account, project_id=None, model_id=other.model_id,
                                         offset=0, limit=10)
    assert total == 1 and items[0].campaign.project_id == other.campaign.project_id


def test_the_template_without_a_record_has_no_faces(alice, make_material):
    material = make_material(alice, review=False)
    data, record = material_template(material)
    assert data[:3] == b"\xff\xd8\xff" and record.faces == [] and record.width == material.width


def test_campaign_degrees_apply_unless_the_material_sets_its_own(alice, make_material, make_campaign):
    campaign = make_campaign(alice, version="redefine")
    material = make_material(alice, review=False, campaign=campaign)
    assert material_effective_degrees(material) == (50, 50)
    material.profile_degree = 60
    assert material_effective_degrees(material) == (50, 60)


def test_crop_advice_wants_half_a_face_box_of_margin_on_every_side(alice, make_material):
    material = make_material(alice, fit("obama.jpg"))
    assert material.status == MaterialStatus.MACHINE_PASSED
    assert crop_advice(material) is None
    material.template_record["faces"][0]["box"] = [10, 400, 200, 200]  # 10 px from the left edge
    advice = crop_advice(material)
    assert advice["sides"] == ["left"]
    assert advice["x"] == 10 - 100 and advice["y"] == 0
    assert advice["out_w"] <= 1080 and advice["out_h"] <= 1080


def test_the_working_day_skips_the_weekend():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    friday = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert working_day_deadline(friday).weekday() == 0
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert working_day_deadline(tuesday).day == 25
