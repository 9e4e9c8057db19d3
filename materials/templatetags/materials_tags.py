from django import template
from django.utils.translation import get_language

from console.media import signed_media_url
from materials.models import MaterialStatus, ReviewStage
from materials.review import reason_text

register = template.Library()

_PASSED = {MaterialStatus.MACHINE_PASSED, MaterialStatus.MANUAL_PASSED, MaterialStatus.APPEAL_PASSED}
_FAILED = {MaterialStatus.MACHINE_FAILED, MaterialStatus.MANUAL_FAILED, MaterialStatus.APPEAL_FAILED,
           MaterialStatus.PREPROCESS_FAILED, MaterialStatus.ROLE_NOT_IN_VIDEO}
LINK_SECONDS = 3600


@register.filter
def signed_url(name: str) -> str:
    return signed_media_url(str(name), expires_in=LINK_SECONDS) if name else ""


@register.filter
def status_class(status: int) -> str:
    if status in _PASSED:
        return "status-passed"
    if status in _FAILED:
        return "status-failed"
    return "status-pending"


@register.filter
def review_reason(material) -> str:
    """The machine's reason in the reader's language; an operator's own words as written."""
    recheck = (material.review_details or {}).get("recheck")
    if recheck and material.status == MaterialStatus.REVIEWING:
        return reason_text([recheck["flag"]], material.review_details, language=get_language() or "zh-hans")
    machine = material.status in (MaterialStatus.REVIEWING, MaterialStatus.MACHINE_PASSED,
                                  MaterialStatus.MACHINE_FAILED, MaterialStatus.PREPROCESSED,
                                  MaterialStatus.PREPROCESS_FAILED, MaterialStatus.ROLE_NOT_IN_VIDEO) \
        and material.review_stage not in (ReviewStage.MACHINE, ReviewStage.PREPROCESS)
    if machine and material.review_flags:
        return reason_text(material.review_flags, material.review_details or {}, language=get_language() or "zh-hans")
    return material.audit_result


@register.filter
def face_boxes(material) -> list[dict]:
    """Each face's box in percent of the image, for CSS-positioned overlays."""
    width, height = material.width or 1, material.height or 1
    out = []
    for face in material.faces:
        x, y, w, h = face["box"]
        out.append({"id": face["face_id"], "left": f"{100 * x / width:.3f}", "top": f"{100 * y / height:.3f}",
                    "width": f"{100 * w / width:.3f}", "height": f"{100 * h / height:.3f}",
                    "box": face["box"], "yaw": face.get("yaw"), "pitch": face.get("pitch")})
    return out
