"""FuseFaceUltra's jobs (图片人脸融合专业版): the same job, queue, wait, labels and meter as FuseFace
(fusion/services/), with a template that came with the call instead of a reviewed material.

Because nobody reviewed that template, the worker checks it before fusing
(materials.screening: the public-figure gallery, protected images, the account's own rejected
materials). A match refuses the call with ``FailedOperation.FuseMaterialNotAuth`` — the cloud's code
for a template that may not be fused — and one audit row saying what matched (docs/fusion.md).
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import FUSE_FACE_ULTRA
from console.models import Account, AuditAction, AuditEvent, Member
from fusion.engine import EngineError
from fusion.models import FusionJob, JobSource
from fusion.services import (
    LabelSpec,
    MappingSpec,
    decode_b64,
    fusion_job_create,
    fusion_job_store_source,
    job_label,
    job_source_bytes,
)

log = logging.getLogger(__name__)

FUSE_MATERIAL_NOT_AUTH = "FailedOperation.FuseMaterialNotAuth"
# The cloud's limits for the template (ModelImage / ModelUrl).
TEMPLATE_MAX_BASE64_CHARS = 10 * 1024 * 1024
TEMPLATE_MAX_URL_BYTES = 20 * 1024 * 1024
# The decoded bytes of a base64 template of the largest size the API takes, or a URL's.
TEMPLATE_MAX_BYTES = TEMPLATE_MAX_URL_BYTES


@dataclass(frozen=True)
class UltraOptions:
    """SwapModelType and FusionUltraParam as the request gave them (the cloud's defaults otherwise)."""

    model_type: int = 1
    warp: float = 0.7
    enhance: float = 0.5
    smooth: float = 0.5
    teeth: bool = True
    makeup: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UltraOptions:
        return cls(model_type=int(data.get("model_type", 1)), warp=float(data.get("warp", 0.7)),
                   enhance=float(data.get("enhance", 0.5)), smooth=float(data.get("smooth", 0.5)),
                   teeth=bool(data.get("teeth", True)), makeup=bool(data.get("makeup", False)))


class TemplateRefused(EngineError):
    """The template matches something the operators' lists say may not be fused."""

    code = FUSE_MATERIAL_NOT_AUTH
    message_zh = ("模板图片与公众人物库、受保护图片或本账号未通过审核的素材相符，不能直接融合。"
                  "请换用其他模板，或将它作为素材上传并附版权证明送审。")
    message_en = ("The template matches a public figure of the gallery, a protected image or one of this "
                  "account's rejected materials, so it cannot be fused as it is. Use another template, or "
                  "upload it as a material with a copyright proof for review.")


def fusion_ultra_job_create(*, account: Account, request_id: str, source: str, mappings: list[MappingSpec],
                            options: UltraOptions, label: LabelSpec | None = None, template_b64: str | None = None,
                            template_name: str = "", rsp_img_type: str = "url",
                            member: Member | None = None) -> FusionJob:
    """A FuseFaceUltra job on the fusion queue: the template travels in the message (base64 text as
    the caller sent it) or, for a console test, as a stored file."""
    return fusion_job_create(account=account, member=member, request_id=request_id, source=source,
                             campaign_project_id="", material_model_id="", version=f"ultra-{options.model_type}",
                             mappings=mappings, label=label, rsp_img_type=rsp_img_type, action=FUSE_FACE_ULTRA,
                             options=options.to_json(), template_b64=template_b64, template_name=template_name)


# --- worker side ------------------------------------------------------------------------------

def _template_bytes(job: FusionJob, images: list[str | None]) -> bytes:
    n = len(job.mappings)
    if len(images) > n and images[n] is not None:
        return decode_b64(images[n] or "")
    with default_storage.open(job.template_name, "rb") as fh:
        return fh.read()


def _audit_refusal(job: FusionJob, matches: list[dict]) -> None:
    """One audit row per refused call, whatever the number of deliveries that found the match."""
    if AuditEvent.objects.filter(action=AuditAction.ULTRA_TEMPLATE_REFUSED, target_id=job.request_id).exists():
        return
    from console.services import audit_record

    with transaction.atomic():
        audit_record(actor=job.member.user if job.member else None, account=job.account,
                     action=AuditAction.ULTRA_TEMPLATE_REFUSED, target_type="request", target_id=job.request_id,
                     reason=", ".join(sorted({m["kind"] for m in matches})),
                     data={"source": job.source, "matches": matches[:20]})


def fuse_ultra_job(job: FusionJob, images: list[str | None], logo_b64: str | None) -> tuple[bytes, str, int]:
    """The worker's part of a FuseFaceUltra job: decode, find the faces, check the template, fuse.
    Returns (image, format, engine milliseconds); raises the engine's typed errors, TemplateRefused."""
    from fusion.engine import get_engine
    from fusion.engine import ultra as engine_ultra
    from materials.screening import template_screen

    data = _template_bytes(job, images)
    engine = get_engine()
    started = time.perf_counter()
    tmpl = engine_ultra.open_template(data, max_bytes=TEMPLATE_MAX_BYTES)
    rects = [tuple(spec["template_face_rect"]) for spec in job.mappings if spec.get("template_face_rect")]
    found = engine_ultra.find_faces(engine, tmpl, rects=rects)
    matches = template_screen(account=job.account, faces=[(f.face_id, f.embedding or []) for f in found.all()],
                              phash=engine_ultra.perceptual_hash_of(found.small))
    if matches:
        _audit_refusal(job, [m.as_dict() for m in matches])
        raise TemplateRefused(", ".join(f"{m.kind}:{m.ref}" for m in matches))
    mappings = []
    for spec, image in zip(job.mappings, images, strict=False):
        rect, trect = spec.get("source_face_rect"), spec.get("template_face_rect")
        mappings.append(engine_ultra.UltraMapping(source=job_source_bytes(spec, image),
                                                  source_face_rect=tuple(rect) if rect else None,
                                                  template_face_id=spec.get("template_face_id"),
                                                  template_face_rect=tuple(trect) if trect else None))
    options = UltraOptions.from_json(job.options or {})
    knobs = engine_ultra.UltraKnobs(warp=options.warp, enhance=options.enhance, smooth=options.smooth,
                                    teeth=options.teeth, makeup=options.makeup)
    out, _regions = engine_ultra.fuse(engine, tmpl, found, mappings, model_type=options.model_type, knobs=knobs,
                                      label=job_label(job, logo_b64))
    return out, tmpl.format, int((time.perf_counter() - started) * 1000)


# --- the console's test (测试效果 · 专业版) ---------------------------------------------------

def fusion_ultra_test_run(*, account: Account, member: Member, template: bytes,
                          photos: list[tuple[bytes, str | None]], options: UltraOptions) -> FusionJob:
    """A console test of FuseFaceUltra: the same job, recorded as a console test and never billed.
    The template and photos are stored beside the job for the page and purged with it."""
    from billing.selectors import ultra_enabled
    from fusion.engine.imageio import sniff_format

    if not ultra_enabled(account=account):
        raise ValidationError(_("FuseFaceUltra is not activated for this account; ask the platform operator "
                                "to turn it on."))
    if not photos or len(photos) > 3:
        raise ValidationError(_("Upload one to three photos."))
    if options.model_type not in range(1, 7):
        raise ValidationError(_("Choose a model type from 1 to 6."))
    stored: list[str] = []

    def store(data: bytes, what: str) -> str:
        fmt = sniff_format(data)
        if fmt not in ("JPEG", "PNG"):
            raise ValidationError(what)
        name = fusion_job_store_source(account=account, data=data, ext="png" if fmt == "PNG" else "jpg")
        stored.append(name)
        return name

    try:
        template_name = store(template, _("The template must be a JPG or PNG image."))
        mappings = [MappingSpec(source_name=store(data, _("Photos must be JPG or PNG images.")),
                                template_face_id=face_id) for data, face_id in photos]
        with transaction.atomic():
            return fusion_ultra_job_create(account=account, member=member, request_id=str(uuid.uuid4()),
                                           source=JobSource.CONSOLE_TEST, mappings=mappings, options=options,
                                           template_name=template_name)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
