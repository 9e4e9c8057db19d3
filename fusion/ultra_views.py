"""测试效果 · 专业版: FuseFaceUltra in the console — a template of one's own and up to three photos,
the model type and the knobs, the pictures side by side. The same job as the API's, recorded as a
console test and never billed; only where an operator turned FuseFaceUltra on."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from billing.models import FUSE_FACE_ULTRA
from billing.selectors import ultra_enabled
from console.decorators import member_required
from console.http import MemberRequest
from fusion import selectors
from fusion.forms import PHOTO_MAX_BYTES, TEMPLATE_MAX_BYTES, UltraTestForm
from fusion.ultra import UltraOptions, fusion_ultra_test_run


def _context(request: MemberRequest, form: UltraTestForm) -> dict:
    return {"active_nav": "test_effect", "tab": "ultra", "form": form,
            "enabled": ultra_enabled(account=request.account),
            "recent": selectors.test_job_recent(account=request.account, action=FUSE_FACE_ULTRA),
            "photo_max_mb": PHOTO_MAX_BYTES // (1024 * 1024), "template_max_mb": TEMPLATE_MAX_BYTES // (1024 * 1024)}


@member_required("test_effect.run")
def test_effect_ultra(request: MemberRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "fusion/test_effect_ultra.html", _context(request, UltraTestForm()))
    form = UltraTestForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        options = UltraOptions(model_type=data["model_type"], warp=data["warp"], enhance=data["enhance"],
                               smooth=data["smooth"], teeth=data["teeth"], makeup=data["makeup"])
        try:
            job = fusion_ultra_test_run(
                account=request.account, member=request.member, options=options,
                template=data["template"].read(TEMPLATE_MAX_BYTES + 1),
                photos=[(upload.read(PHOTO_MAX_BYTES + 1), face_id) for upload, face_id in data["photos"]])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("fusion:test_effect_job", job_id=job.id)
    messages.error(request, form.non_field_errors().as_text() or _("Check the fields below and try again."))
    return render(request, "fusion/test_effect_ultra.html", _context(request, form), status=400)
