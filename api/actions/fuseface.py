"""FuseFace (2022-09-27 and 2018-12-01) and the 2018 single-face FaceFusion."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from api import errors, params
from api.dispatch import ApiCall
from api.errors import ApiError

MAX_MERGE_INFOS = 6
MAX_BASE64_CHARS = 5 * 1024 * 1024
MAX_URL_BYTES = 10 * 1024 * 1024
META_KEY_MAX = 32
META_VALUE_MAX = 256
RSP_IMG_TYPES = ("url", "base64")


@dataclass
class Merge:
    image: str | None
    url: str | None
    input_rect: tuple[int, int, int, int] | None
    template_face_id: str | None
    template_rect: tuple[int, int, int, int] | None = None


@dataclass
class FuseRequest:
    project_id: str
    model_id: str
    rsp_img_type: str
    merges: list[Merge]
    face_degree: int | None = None
    profile_degree: int | None = None
    logo_add: bool = True
    logo_image: str | None = None
    logo_url: str | None = None
    logo_rect: tuple[int, int, int, int] | None = None
    meta: tuple[str, str] | None = None
    extra: dict = field(default_factory=dict)


def _merge(item: object, n: int, *, with_template_rect: bool) -> Merge:
    label = f"MergeInfos.{n}"
    if not isinstance(item, dict):
        raise errors.invalid(label)
    image = params.opt_str(item, "Image", max_length=1 << 30, label=f"{label}.Image")
    url = params.opt_str(item, "Url", max_length=4096, label=f"{label}.Url")
    if not image and not url:
        raise errors.missing(f"{label}.Image")
    rect = item.get("InputImageFaceRect")
    trect = item.get("TemplateFaceRect") if with_template_rect else None
    return Merge(image=image or None, url=url or None,
                 input_rect=params.rect(rect, f"{label}.InputImageFaceRect") if rect is not None else None,
                 template_face_id=params.opt_str(item, "TemplateFaceID", max_length=64,
                                                 label=f"{label}.TemplateFaceID") or None,
                 template_rect=params.rect(trect, f"{label}.TemplateFaceRect") if trect is not None else None)


def _meta(p: dict) -> tuple[str, str] | None:
    fuse = params.opt_dict(p, "FuseParam")
    codec = params.opt_dict(fuse, "ImageCodecParam", label="FuseParam.ImageCodecParam") if fuse else None
    items = params.opt_list(codec, "MetaData", label="FuseParam.ImageCodecParam.MetaData") if codec else None
    if not items:
        return None
    if len(items) > 1:
        raise errors.invalid("FuseParam.ImageCodecParam.MetaData", _("Only one MetaKey/MetaValue pair is supported."))
    item = items[0]
    if not isinstance(item, dict):
        raise errors.invalid("FuseParam.ImageCodecParam.MetaData")
    key = params.req_str(item, "MetaKey", max_length=META_KEY_MAX, label="MetaData.MetaKey")
    value = params.opt_str(item, "MetaValue", max_length=META_VALUE_MAX, label="MetaData.MetaValue") or ""
    return key, value


def _common(p: dict, *, with_template_rect: bool) -> FuseRequest:
    project_id = params.req_str(p, "ProjectId", max_length=64)
    model_id = params.req_str(p, "ModelId", max_length=64)
    rsp = params.req_str(p, "RspImgType", max_length=16)
    if rsp not in RSP_IMG_TYPES:
        raise errors.invalid("RspImgType", _("Use url or base64."))
    merges = parse_merges(p, with_template_rect=with_template_rect)
    return FuseRequest(project_id=project_id, model_id=model_id, rsp_img_type=rsp, merges=merges,
                       face_degree=params.opt_int(p, "FuseFaceDegree", lo=0, hi=100),
                       profile_degree=params.opt_int(p, "FuseProfileDegree", lo=0, hi=100),
                       meta=_meta(p))


@dataclass
class LogoFields:
    add: bool = True
    image: str | None = None
    url: str | None = None
    rect: tuple[int, int, int, int] | None = None


def parse_logo(p: dict) -> LogoFields:
    """LogoAdd and LogoParam (2022-09-27's FuseFace and FuseFaceUltra)."""
    # LogoAdd: 0 turns the visible label off; any other value counts as 1 (the cloud's rule).
    out = LogoFields(add=params.opt_int(p, "LogoAdd") != 0)
    logo = params.opt_dict(p, "LogoParam")
    if logo:
        out.url = params.opt_str(logo, "LogoUrl", max_length=4096, label="LogoParam.LogoUrl") or None
        out.image = params.opt_str(logo, "LogoImage", max_length=1 << 30, label="LogoParam.LogoImage") or None
        rect = logo.get("LogoRect")
        out.rect = params.rect(rect, "LogoParam.LogoRect") if rect is not None else None
    return out


def parse_merges(p: dict, *, with_template_rect: bool) -> list[Merge]:
    merges_raw = params.opt_list(p, "MergeInfos")
    if not merges_raw:
        raise errors.missing("MergeInfos")
    if len(merges_raw) > MAX_MERGE_INFOS:
        raise errors.invalid("MergeInfos", _("At most 6 faces can be fused at once."),
                             code=errors.PARAMETER_VALUE_ERROR)
    return [_merge(item, i, with_template_rect=with_template_rect) for i, item in enumerate(merges_raw)]


def parse_2022(p: dict) -> FuseRequest:
    req = _common(p, with_template_rect=True)
    logo = parse_logo(p)
    req.logo_add, req.logo_url, req.logo_image, req.logo_rect = logo.add, logo.url, logo.image, logo.rect
    return req


def parse_2018(p: dict) -> FuseRequest:
    return _common(p, with_template_rect=False)


def _strip_data_uri(text: str) -> str:
    if text.startswith("data:") and "," in text[:100]:
        return text.split(",", 1)[1]
    return text


def _image_b64(call: ApiCall, *, image: str | None, url: str | None) -> str:
    """Base64 text for the job message. URL wins when both are given (the cloud's rule)."""
    if url:
        fetcher = call.fetcher
        fetcher.max_bytes = MAX_URL_BYTES
        fetched = fetcher.fetch(url)
        return base64.b64encode(fetched.data).decode("ascii")
    assert image is not None
    image = _strip_data_uri(image.strip())
    if len(image) > MAX_BASE64_CHARS:
        raise ApiError(errors.IMAGE_SIZE_EXCEED)
    return image


def _usable_material(call: ApiCall, req: FuseRequest):
    """The caller's campaign and approved material, or the cloud's error for each way they are not."""
    from campaigns.selectors import campaign_find
    from materials.selectors import material_find, material_is_usable

    campaign = campaign_find(account=call.account, project_id=req.project_id)
    if campaign is None:
        raise ApiError(errors.ACTIVITY_ID_NOT_FOUND)
    material = material_find(account=call.account, model_id=req.model_id)
    if material is None or material.campaign_id != campaign.id or material.is_video:
        raise ApiError(errors.MATERIAL_ID_NOT_FOUND)
    if not material_is_usable(material):
        raise ApiError(errors.FUSE_MATERIAL_NOT_AUTH)
    return material


def _label(call: ApiCall, req: FuseRequest):
    from fusion.services import LabelSpec

    logo_b64 = None
    if req.logo_add and (req.logo_url or req.logo_image):
        logo_b64 = _image_b64(call, image=req.logo_image, url=req.logo_url)
    return LabelSpec(visible=req.logo_add, logo_b64=logo_b64, logo_rect=req.logo_rect,
                     meta_key=req.meta[0] if req.meta else None, meta_value=req.meta[1] if req.meta else None)


def fused_image(call: ApiCall, req: FuseRequest | Any, outcome, *, expires_in: int | None = None) -> dict:
    """The answer's FusedImage: the base64 text, or a signed link living ``expires_in`` seconds (FuseFace's
    FUSION_RESULT_TTL_SECONDS unless given; FuseFaceUltra's are shorter)."""
    from console.media import signed_media_url
    if req.rsp_img_type == "base64":
        # The worker's base64 text goes out as it came in: no decoding and re-encoding of a megabyte.
        return {"FusedImage": outcome.image_b64 or base64.b64encode(outcome.image or b"").decode("ascii")}
    ext = outcome.result_name.rsplit(".", 1)[-1]
    url = signed_media_url(outcome.result_name, expires_in=expires_in or settings.FUSION_RESULT_TTL_SECONDS,
                           download_name=f"fused-{call.request_id}.{ext}")
    if not url.startswith(("http://", "https://")):
        url = call.http.build_absolute_uri(url)
    return {"FusedImage": url}


def run(call: ApiCall, req: FuseRequest) -> dict:
    from fusion.models import JobSource
    from fusion.services import MappingSpec, fusion_job_create, fusion_job_wait
    from materials.selectors import material_fuse_degrees

    call.campaign_project_id, call.material_model_id = req.project_id, req.model_id
    material = _usable_material(call, req)
    mappings = [MappingSpec(image_b64=_image_b64(call, image=m.image, url=m.url), template_face_id=m.template_face_id,
                            source_face_rect=m.input_rect, template_face_rect=m.template_rect) for m in req.merges]
    label = _label(call, req)
    face_degree, profile_degree = material_fuse_degrees(material, face_degree=req.face_degree,
                                                        profile_degree=req.profile_degree)
    job = fusion_job_create(account=call.account, member=call.credential.member, request_id=call.request_id,
                            source=JobSource.API, campaign_project_id=req.project_id,
                            material_model_id=req.model_id, version=material.campaign.version, mappings=mappings,
                            label=label, face_degree=face_degree, profile_degree=profile_degree,
                            rsp_img_type=req.rsp_img_type)
    outcome = fusion_job_wait(job=job, want_image=req.rsp_img_type == "base64",
                              images=[m.image_b64 for m in mappings], logo_b64=label.logo_b64)
    if not outcome.ok:
        raise ApiError(outcome.code, outcome.message("en" if call.english else "zh"))
    return fused_image(call, req, outcome)


def fuse_face_2022(call: ApiCall, p: dict) -> dict:
    return run(call, parse_2022(p))


def fuse_face_2018(call: ApiCall, p: dict) -> dict:
    return {**run(call, parse_2018(p)), "ReviewResultSet": []}


def face_fusion_2018(call: ApiCall, p: dict) -> dict:
    """The 2018 single-image action: one photo onto the template's largest face."""
    image = params.opt_str(p, "Image", max_length=1 << 30)
    url = params.opt_str(p, "Url", max_length=4096)
    if not image and not url:
        raise errors.missing("Image")
    shaped = {**{k: v for k, v in p.items() if k not in ("Image", "Url")},
              "MergeInfos": [{"Image": image, "Url": url}]}
    result = run(call, parse_2018(shaped))
    return {"Image": result["FusedImage"], "ReviewResultSet": []}
