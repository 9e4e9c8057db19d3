"""DescribeMaterialList in both versions' shapes, with paging and ownership."""

from django.test import Client

from tests.api.conftest import approved_material, error_code, reset_rate_limits, signed_post


def _list(key, params, **kw):
    reset_rate_limits()  # 1 QPS per account: each call here is its own second
    return signed_post(Client(), key, "DescribeMaterialList", params, **kw)


def test_it_lists_materials_with_faces_status_and_times(alice, alice_key, alice_material, faces_dir):
    second = approved_material(alice, faces_dir / "two_people.jpg", campaign=alice_material.campaign)
    resp = _list(alice_key, {"ActivityId": alice_material.campaign.project_id})
    assert resp["Count"] == 2
    by_id = {m["MaterialId"]: m for m in resp["MaterialInfos"]}
    two = by_id[second.model_id]
    assert two["MaterialStatus"] == 21 and two["MaterialName"] == second.name
    assert [f["FaceId"] for f in two["MaterialFaceList"]] == ["face_0", "face_1"]
    assert set(two["MaterialFaceList"][0]["FaceInfo"]) == {"X", "Y", "Width", "Height"}
    assert len(two["CreateTime"]) == 19 and "AuditResult" in two

    page = _list(alice_key, {"ActivityId": alice_material.campaign.project_id, "Limit": 1, "Offset": 1})
    assert page["Count"] == 2 and len(page["MaterialInfos"]) == 1
    one = _list(alice_key, {"ActivityId": alice_material.campaign.project_id, "MaterialId": second.model_id})
    assert one["Count"] == 1 and one["MaterialInfos"][0]["MaterialId"] == second.model_id


def test_it_answers_the_2018_shape(alice_key, alice_material):
    resp = _list(alice_key, {"ActivityId": alice_material.campaign.project_id}, version="2018-12-01")
    info = resp["MaterialInfos"][0]
    assert {"BlendParamPtu", "PositionParamYoutu", "Url", "MaterialFaceList"} <= set(info)
    assert "MaterialName" not in info


def test_it_refuses_a_limit_above_twenty(alice_key, alice_material):
    resp = _list(alice_key, {"ActivityId": alice_material.campaign.project_id, "Limit": 21})
    assert error_code(resp) == "InvalidParameterValue"


def test_it_answers_another_accounts_ids_like_missing_ones(alice_key, alice_material, bob_material):
    assert error_code(_list(alice_key, {"ActivityId": bob_material.campaign.project_id})) == (
        "InvalidParameterValue.ActivityIdNotFound")
    resp = _list(alice_key, {"ActivityId": alice_material.campaign.project_id, "MaterialId": bob_material.model_id})
    assert error_code(resp) == "InvalidParameterValue.MaterialIdNotFound"
