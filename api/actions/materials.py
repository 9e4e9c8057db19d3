"""DescribeMaterialList (2022-09-27 and 2018-12-01)."""

from __future__ import annotations

from api import errors, params
from api.dispatch import ApiCall
from api.errors import ApiError
from console.formatting import local_time

MAX_LIMIT = 20


def _faces(material) -> list[dict]:
    record = material.template_record or {}
    out = []
    for face in record.get("faces") or []:
        x, y, w, h = (int(v) for v in face["box"])
        out.append({"FaceId": face["face_id"], "FaceInfo": {"X": x, "Y": y, "Width": w, "Height": h}})
    return out


def _query(call: ApiCall, p: dict) -> tuple[list, int]:
    from campaigns.selectors import campaign_find
    from materials.selectors import material_list_for_api

    activity_id = params.req_str(p, "ActivityId", max_length=64)
    material_id = params.opt_str(p, "MaterialId", max_length=64) or None
    limit = params.opt_int(p, "Limit", lo=1, hi=MAX_LIMIT)
    offset = params.opt_int(p, "Offset", lo=0, hi=10**9)
    call.campaign_project_id, call.material_model_id = activity_id, material_id or ""
    if campaign_find(account=call.account, project_id=activity_id) is None:
        raise ApiError(errors.ACTIVITY_ID_NOT_FOUND)
    materials, count = material_list_for_api(account=call.account, project_id=activity_id, model_id=material_id,
                                             offset=offset or 0, limit=limit or MAX_LIMIT)
    if material_id and count == 0:
        raise ApiError(errors.MATERIAL_ID_NOT_FOUND)
    return materials, count


def describe_material_list_2022(call: ApiCall, p: dict) -> dict:
    materials, count = _query(call, p)
    infos = [{
        "MaterialId": m.model_id,
        "MaterialStatus": int(m.status),
        "CreateTime": local_time(m.created_at),
        "UpdateTime": local_time(m.updated_at),
        "MaterialFaceList": _faces(m),
        "MaterialName": m.name,
        "AuditResult": m.audit_result or "",
    } for m in materials]
    return {"MaterialInfos": infos, "Count": count}


def describe_material_list_2018(call: ApiCall, p: dict) -> dict:
    from materials.selectors import material_effective_degrees

    materials, count = _query(call, p)
    infos = []
    for m in materials:
        face, profile = material_effective_degrees(m)
        infos.append({
            "MaterialId": m.model_id,
            "MaterialStatus": int(m.status),
            # Ptu/Youtu were two engines on the cloud; here both report the one set of degrees.
            "BlendParamPtu": profile, "PositionParamPtu": face,
            "BlendParamYoutu": profile, "PositionParamYoutu": face,
            "Url": "",
            "CreateTime": local_time(m.created_at),
            "UpdateTime": local_time(m.updated_at),
            "MaterialFaceList": _faces(m),
        })
    return {"MaterialInfos": infos, "Count": count}

