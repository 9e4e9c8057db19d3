"""FuseFaceUltra (2022-09-27), 图片人脸融合专业版: the template comes with the call (ModelImage or
ModelUrl) instead of a reviewed material, with a model type (SwapModelType 1-6) and effect knobs
(FusionUltraParam). Same signing, account checks, limits, job, labels and meter as FuseFace; its
own rate limit and price, and off until an operator turns it on for the account (api/dispatch.py).
The worker checks the template against the operators' lists before fusing (fusion/ultra.py)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from api import errors, params
from api.actions.fuseface import RSP_IMG_TYPES, LogoFields, Merge, fused_image, parse_logo, parse_merges
from api.dispatch import ApiCall
from api.errors import ApiError
from fusion.ultra import TEMPLATE_MAX_BASE64_CHARS, TEMPLATE_MAX_URL_BYTES, UltraOptions

MAX_BASE64_CHARS = 5 * 1024 * 1024
MAX_URL_BYTES = 10 * 1024 * 1024
SWAP_MODEL_TYPES = range(1, 7)
ULTRA_PARAM = "FusionUltraParam"


@dataclass
class UltraRequest:
    rsp_img_type: str
    merges: list[Merge]
    model_url: str | None
    model_image: str | None
    options: UltraOptions
    logo: LogoFields = field(default_factory=LogoFields)


def _switch(p: dict, name: str, default: bool) -> bool:
    """TeethEnhanceRadio and MakeupTransferRadio: 0 or 1 (floats in the SDK's model)."""
    value = params.opt_float(p, name, lo=0.0, hi=1.0, label=f"{ULTRA_PARAM}.{name}")
    if value is None:
        return default
    if value not in (0.0, 1.0):
        raise errors.invalid(f"{ULTRA_PARAM}.{name}", _("Use 0 (off) or 1 (on)."))
    return value == 1.0


def _options(p: dict) -> UltraOptions:
    model_type = params.opt_int(p, "SwapModelType", lo=1, hi=6)
    knobs = params.opt_dict(p, ULTRA_PARAM) or {}
    defaults = UltraOptions()

    def ratio(name: str, default: float) -> float:
        value = params.opt_float(knobs, name, lo=0.0, hi=1.0, label=f"{ULTRA_PARAM}.{name}")
        return default if value is None else value

    ratio("BlurRadio", 0.0)  # checked like the others; not supported, as on the cloud
    return UltraOptions(model_type=model_type or 1, warp=ratio("WarpRadio", defaults.warp),
                        enhance=ratio("EnhanceRadio", defaults.enhance), smooth=ratio("MpRadio", defaults.smooth),
                        teeth=_switch(knobs, "TeethEnhanceRadio", defaults.teeth),
                        makeup=_switch(knobs, "MakeupTransferRadio", defaults.makeup))


def parse(p: dict) -> UltraRequest:
    rsp = params.req_str(p, "RspImgType", max_length=16)
    if rsp not in RSP_IMG_TYPES:
        raise errors.invalid("RspImgType", _("Use url or base64."))
    merges = parse_merges(p, with_template_rect=True)
    model_url = params.opt_str(p, "ModelUrl", max_length=4096) or None
    model_image = params.opt_str(p, "ModelImage", max_length=1 << 30) or None
    if not model_url and not model_image:
        raise errors.missing("ModelImage")
    return UltraRequest(rsp_img_type=rsp, merges=merges, model_url=model_url, model_image=model_image,
                        options=_options(p), logo=parse_logo(p))


def _strip_data_uri(text: str) -> str:
    if text.startswith("data:") and "," in text[:100]:
        return text.split(",", 1)[1]
    return text


def _b64_of(call: ApiCall, *, image: str | None, url: str | None, max_chars: int, max_url_bytes: int,
            too_large: str) -> str:
    """Base64 text for the job message. The URL wins when both are given (the cloud's rule)."""
    if url:
        call.fetcher.max_bytes = max_url_bytes
        return base64.b64encode(call.fetcher.fetch(url).data).decode("ascii")
    text = _strip_data_uri((image or "").strip())
    if len(text) > max_chars:
        raise ApiError(errors.IMAGE_SIZE_EXCEED, too_large)
    return text


def run(call: ApiCall, req: UltraRequest) -> dict:
    from fusion.models import JobSource
    from fusion.services import LabelSpec, MappingSpec, fusion_job_wait, job_images, result_ttl_seconds
    from fusion.ultra import fusion_ultra_job_create

    photo_too_large = _("The photo is too large: at most 5 MB as base64 or 10 MB by URL.")
    template_b64 = _b64_of(call, image=req.model_image, url=req.model_url, max_chars=TEMPLATE_MAX_BASE64_CHARS,
                           max_url_bytes=TEMPLATE_MAX_URL_BYTES,
                           too_large=_("The template is too large: at most 10 MB as base64 or 20 MB by URL."))
    mappings = [MappingSpec(image_b64=_b64_of(call, image=m.image, url=m.url, max_chars=MAX_BASE64_CHARS,
                                              max_url_bytes=MAX_URL_BYTES, too_large=photo_too_large),
                            template_face_id=m.template_face_id, source_face_rect=m.input_rect,
                            template_face_rect=m.template_rect) for m in req.merges]
    logo_b64 = None
    if req.logo.add and (req.logo.url or req.logo.image):
        logo_b64 = _b64_of(call, image=req.logo.image, url=req.logo.url, max_chars=MAX_BASE64_CHARS,
                           max_url_bytes=MAX_URL_BYTES, too_large=photo_too_large)
    label = LabelSpec(visible=req.logo.add, logo_b64=logo_b64, logo_rect=req.logo.rect)
    job = fusion_ultra_job_create(account=call.account, member=call.credential.member, request_id=call.request_id,
                                  source=JobSource.API, mappings=mappings, options=req.options, label=label,
                                  template_b64=template_b64, rsp_img_type=req.rsp_img_type)
    outcome = fusion_job_wait(job=job, want_image=req.rsp_img_type == "base64",
                              images=job_images(job, mappings, template_b64), logo_b64=label.logo_b64)
    if not outcome.ok:
        raise ApiError(outcome.code, outcome.message("en" if call.english else "zh"))
    # A url result lives a day, as on the cloud (FUSION_ULTRA_RESULT_TTL_SECONDS).
    return fused_image(call, req, outcome, expires_in=result_ttl_seconds(job))


def fuse_face_ultra(call: ApiCall, p: dict) -> dict:
    return run(call, parse(p))

