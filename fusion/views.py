"""The test-effect page (测试效果): pick a material, map photos to its faces, run, watch, download."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing.models import FUSE_FACE_ULTRA
from campaigns.models import version_has_degrees
from campaigns.selectors import campaign_find, campaign_list, campaign_names
from console.decorators import member_required
from console.http import MemberRequest
from console.media import signed_media_url
from fusion import selectors, services
from fusion.forms import PHOTO_MAX_BYTES, TestEffectForm
from fusion.models import JobStatus
from fusion.ultra import UltraOptions
from materials.selectors import (
    material_effective_degrees,
    material_find,
    material_is_usable,
    material_names,
    material_usable_split,
)

LINK_SECONDS = 3600


def _page_context(request: MemberRequest, campaign, campaigns) -> dict:
    """Around the chosen material: the campaign and material pickers (usable materials only, with
    how many others are not offered and why) and the recent runs with their names."""
    usable, missing = (material_usable_split(account=request.account, project_id=campaign.project_id)
                       if campaign else ([], {}))
    recent = list(selectors.test_job_recent(account=request.account))
    names = material_names(account=request.account, model_ids=[j.material_model_id for j in recent])
    campaign_names_ = campaign_names(account=request.account, project_ids=[j.campaign_project_id for j in recent])
    return {
        "active_nav": "test_effect",
        "campaigns": campaigns,
        "campaign": campaign,
        "materials": usable,
        "missing": sorted(missing.items()),
        "missing_total": sum(missing.values()),
        "recent": [{"job": j, "material_name": names.get(j.material_model_id, ""),
                    "campaign_name": campaign_names_.get(j.campaign_project_id, "")} for j in recent],
        "photo_max_mb": PHOTO_MAX_BYTES // (1024 * 1024),
    }


def _material_context(material) -> dict:
    faces = material.faces
    boxes = []
    for i, face in enumerate(faces):
        x, y, w, h = face["box"]
        boxes.append({"id": face["face_id"], "n": i + 1, "left": round(100 * x / material.width, 3),
                      "top": round(100 * y / material.height, 3), "width": round(100 * w / material.width, 3),
                      "height": round(100 * h / material.height, 3)})
    face, profile = material_effective_degrees(material)
    return {"material": material, "boxes": boxes, "usable": material_is_usable(material),
            "has_degrees": version_has_degrees(material.campaign.version),
            "template_url": signed_media_url(material.image.name, expires_in=LINK_SECONDS),
            "default_face_degree": face, "default_profile_degree": profile}


def _find_material(request: MemberRequest, model_id: str):
    material = material_find(account=request.account, model_id=model_id) if model_id else None
    if model_id and material is None:
        raise Http404
    return material


@member_required("test_effect.run")
def test_effect(request: MemberRequest) -> HttpResponse:
    material = _find_material(request, request.GET.get("material", "").strip())
    project_id = material.campaign.project_id if material else request.GET.get("campaign", "").strip()
    campaign = campaign_find(account=request.account, project_id=project_id) if project_id else None
    if project_id and campaign is None:
        raise Http404
    campaigns = campaign_list(account=request.account)
    if campaign is None and len(campaigns) == 1:
        campaign = campaigns[0]  # nothing to choose: show its materials at once
    context = _page_context(request, campaign, campaigns)
    if material is not None:
        context.update(_material_context(material))
        context["form"] = TestEffectForm(faces=material.faces, has_degrees=context["has_degrees"],
                                         initial={"face_degree": context["default_face_degree"],
                                                  "profile_degree": context["default_profile_degree"]})
    return render(request, "fusion/test_effect.html", context)


@require_POST
@member_required("test_effect.run")
def test_effect_run(request: MemberRequest, model_id: str) -> HttpResponse:
    material = _find_material(request, model_id)
    ctx = _material_context(material)
    form = TestEffectForm(request.POST, request.FILES, faces=material.faces, has_degrees=ctx["has_degrees"])
    if form.is_valid():
        photos = [(upload.read(PHOTO_MAX_BYTES + 1), face_id) for upload, face_id in form.cleaned_data["photos"]]
        try:
            job = services.fusion_test_run(account=request.account, member=request.member, material=material,
                                           photos=photos, face_degree=form.cleaned_data.get("face_degree"),
                                           profile_degree=form.cleaned_data.get("profile_degree"))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("fusion:test_effect_job", job_id=job.id)
    ctx.update(_page_context(request, material.campaign, campaign_list(account=request.account)), form=form)
    messages.error(request, form.non_field_errors().as_text() or _("Check the photos below and try again."))
    return render(request, "fusion/test_effect.html", ctx, status=400)


def _face_number(mapping: dict) -> int | None:
    face_id = mapping.get("template_face_id") or ""
    suffix = face_id.rsplit("_", 1)[-1]
    return int(suffix) + 1 if suffix.isdigit() else None


def _job_context(request: MemberRequest, job) -> dict:
    if not job.is_final and job.deadline_at < timezone.now():
        services.fusion_job_expire(job=job)  # nobody finished it in time: say so instead of spinning forever
    ultra = job.action == FUSE_FACE_ULTRA
    material = None if ultra else material_find(account=request.account, model_id=job.material_model_id)
    # Once purged (7 days) the photos are gone: expires_at is cleared on a finished job then.
    kept = job.expires_at is not None or not job.is_final
    photos = [{"url": signed_media_url(m["source_name"], expires_in=LINK_SECONDS), "face_n": _face_number(m)}
              for m in job.mappings if kept and m.get("source_name")]
    ctx = {"job": job, "photos": photos, "material": material, "done": job.is_final,
           "ok": job.status == JobStatus.SUCCEEDED, "active_nav": "test_effect",
           "progress": {JobStatus.QUEUED: 20, JobStatus.RUNNING: 60}.get(job.status, 100)}
    if material is not None:
        ctx["template_url"] = signed_media_url(material.image.name or "", expires_in=LINK_SECONDS)
    if ultra:
        # 专业版: the template came with the run; its model type and knobs are shown beside it.
        ctx.update(ultra=UltraOptions.from_json(job.options or {}), template_url=(
            signed_media_url(job.template_name, expires_in=LINK_SECONDS) if kept and job.template_name else ""))
    if job.status == JobStatus.SUCCEEDED and job.result_name:
        ext = job.result_name.rsplit(".", 1)[-1]
        ctx["result_url"] = signed_media_url(job.result_name, expires_in=LINK_SECONDS)
        ctx["download_url"] = signed_media_url(job.result_name, expires_in=LINK_SECONDS,
                                               download_name=f"ronghe-{job.material_model_id or 'ultra'}.{ext}")
    return ctx


@require_GET
@member_required("test_effect.run")
def test_effect_job(request: MemberRequest, job_id: str) -> HttpResponse:
    job = selectors.test_job_get(account=request.account, job_id=job_id)
    return render(request, "fusion/test_effect_job.html", _job_context(request, job))


@require_GET
@member_required("test_effect.run")
def test_effect_job_status(request: MemberRequest, job_id: str) -> HttpResponse:
    job = selectors.test_job_get(account=request.account, job_id=job_id)
    return render(request, "fusion/_job_result.html", _job_context(request, job))
