"""The video test-effect page (视频测试效果): pick a video material, upload a photo, watch the job's
progress, play and download the result. The page's script is a static file (no inline script)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.decorators import member_required
from console.http import MemberRequest
from console.media import signed_media_url
from materials.selectors import material_find, material_is_usable, material_list
from video import selectors, services
from video.models import VideoJobStatus

LINK_SECONDS = 3600


def _video_materials(request: MemberRequest) -> list:
    return [m for m in material_list(account=request.account).filter(kind="video") if material_is_usable(m)]


def _find(request: MemberRequest, model_id: str):
    material = material_find(account=request.account, model_id=model_id) if model_id else None
    if model_id and (material is None or not material.is_video):
        raise Http404
    return material


@require_GET
@member_required("test_effect.run")
def test_effect(request: MemberRequest) -> HttpResponse:
    material = _find(request, request.GET.get("material", "").strip())
    materials = _video_materials(request)
    if material is None and len(materials) == 1:
        material = materials[0]
    ctx = {"active_nav": "test_effect", "materials": materials, "material": material,
           "recent": selectors.video_test_jobs_recent(account=request.account),
           "photo_max_mb": services.PHOTO_MAX_BYTES // (1024 * 1024)}
    if material is not None:
        ctx.update(usable=material_is_usable(material),
                   video_url=signed_media_url(material.video.name or "", expires_in=LINK_SECONDS),
                   poster_url=signed_media_url(material.image.name or "", expires_in=LINK_SECONDS) if material.image
                   else "")
    return render(request, "video/test_effect.html", ctx)


@require_POST
@member_required("test_effect.run")
def test_effect_run(request: MemberRequest, model_id: str) -> HttpResponse:
    material = _find(request, model_id)
    upload = request.FILES.get("photo")
    try:
        if upload is None:
            raise ValidationError(_("Choose a photo with a clear face (JPG or PNG, at most 5 MB)."))
        job = services.video_test_run(account=request.account, member=request.member, material=material,
                                      photo=upload.read(services.PHOTO_MAX_BYTES + 1))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("video:test_effect") + f"?material={material.model_id}")
    return redirect("video:test_effect_job", job_pk=job.id)


def _job_state(job) -> dict:
    state = {"status": job.status, "code": job.status_code, "progress": selectors.video_job_progress(job),
             "done": job.is_final, "ok": job.status == VideoJobStatus.SUCCEEDED, "error": job.localized_error_message(
                 english=translation.get_language() == "en"),
             "label": job.get_status_display(), "video_url": "", "download_url": ""}
    if state["ok"] and job.result_name:
        state["video_url"] = signed_media_url(job.result_name, expires_in=LINK_SECONDS)
        state["download_url"] = signed_media_url(job.result_name, expires_in=LINK_SECONDS,
                                                 download_name=f"ronghe-{job.material_model_id}.mp4")
    return state


@require_GET
@member_required("test_effect.run")
def test_effect_job(request: MemberRequest, job_pk: str) -> HttpResponse:
    job = selectors.video_test_job_get(account=request.account, job_pk=job_pk)
    material = material_find(account=request.account, model_id=job.material_model_id)
    ctx = {"active_nav": "test_effect", "job": job, "state": _job_state(job), "material": material,
           "photo_url": signed_media_url(job.photo_name, expires_in=LINK_SECONDS) if job.photo_name else "",
           "template_url": signed_media_url(material.video.name or "", expires_in=LINK_SECONDS) if material else ""}
    return render(request, "video/test_effect_job.html", ctx)


@require_GET
@member_required("test_effect.run")
def test_effect_job_status(request: MemberRequest, job_pk: str) -> JsonResponse:
    job = selectors.video_test_job_get(account=request.account, job_pk=job_pk)
    return JsonResponse(_job_state(job))
