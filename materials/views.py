"""The customer's material pages: list, upload, detail, appeal, proofs, quota (the operators' pages
are in operator_views.py). Views parse, call a service, render."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import version_has_degrees
from campaigns.selectors import campaign_choices, campaign_find
from console.audit import audit_rows
from console.decorators import member_required
from console.http import ConsoleRequest, MemberRequest
from console.media import signed_media_url
from console.models import AuditAction
from console.roles import role_can
from console.selectors import audit_events_for, is_operator
from console.views_util import errors_as_messages, errors_text, page_of, upload_read
from materials import selectors, services
from materials.forms import (
    AppealForm,
    DegreesForm,
    MaterialFilterForm,
    ProofForm,
)
from materials.models import MaterialStatus, ProofKind
from materials.uploads import MATERIAL_MAX_BYTES, material_too_big
from materials.video import material_video_create

PROOF_LINK_SECONDS = 300


# --- customer pages ----------------------------------------------------------------------------

@member_required("materials.view")
def material_list(request: MemberRequest) -> HttpResponse:
    form = MaterialFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    project_id = filters.get("campaign") or ""
    campaign = campaign_find(account=request.account, project_id=project_id) if project_id else None
    qs = selectors.material_list(account=request.account, project_id=project_id, status=filters.get("status"),
                                 query=filters.get("q") or "")
    page = page_of(request, qs)
    used, total = selectors.material_quota(account=request.account)
    return render(request, "materials/list.html", {
        "page": page, "materials": page.object_list, "form": form, "campaign": campaign,
        "campaigns": campaign_choices(account=request.account), "statuses": MaterialStatus.choices,
        "status": filters.get("status"), "project_id": project_id, "q": filters.get("q") or "",
        "used": used, "total": total, "can_manage": role_can(request.member.role, "materials.manage"),
        "active_nav": "materials",
    })


@member_required("materials.manage")
def material_upload(request: MemberRequest) -> HttpResponse:
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "POST":
        campaign = campaign_find(account=request.account, project_id=request.POST.get("campaign", ""))
        files = request.FILES.getlist("file")
        replaces = None
        if request.POST.get("replaces"):
            replaces = selectors.material_get(account=request.account, model_id=request.POST["replaces"])
        results = []
        for upload in files:
            try:
                if campaign is None:
                    raise ValidationError(_("Choose a campaign first."))
                if campaign.is_video:
                    material = material_video_create(account=request.account, campaign=campaign,
                                                     actor=request.user, upload=upload, filename=upload.name or "",
                                                     name=request.POST.get("name", ""))
                else:
                    data = upload_read(upload, MATERIAL_MAX_BYTES, material_too_big)
                    material = services.material_create(account=request.account, campaign=campaign,
                                                        actor=request.user, data=data, filename=upload.name or "",
                                                        name=request.POST.get("name", ""), replaces=replaces)
            except ValidationError as exc:
                results.append({"ok": False, "file": (upload.name or "")[:100], "error": errors_text(exc)})
            else:
                replaces = None
                results.append({
                    "ok": True, "file": (upload.name or "")[:100], "model_id": material.model_id, "name": material.name,
                    "detail_url": reverse("materials:detail", args=[material.model_id]),
                    "status_url": reverse("materials:status", args=[material.model_id]),
                })
        if not files:
            results.append({"ok": False, "file": "", "error": _("Choose one or more JPG or PNG images, or MP4 "
                                                                "videos for a video campaign.")})
        if wants_json:
            used, total = selectors.material_quota(account=request.account)
            return JsonResponse({"results": results, "quota_used": used, "quota_total": total},
                                status=200 if all(r["ok"] for r in results) else 400)
        for r in results:
            if r["ok"]:
                messages.success(request, _("%(file)s uploaded; the automatic review is running.") % r)
            else:
                messages.error(request, f"{r['file']}: {r['error']}" if r["file"] else str(r["error"]))
        target = reverse("materials:list")
        if campaign is not None:
            target += f"?campaign={campaign.project_id}"
        return redirect(target)
    used, total = selectors.material_quota(account=request.account)
    return render(request, "materials/upload.html", {
        "campaigns": campaign_choices(account=request.account), "selected": request.GET.get("campaign", ""),
        "used": used, "total": total, "active_nav": "materials",
    })


@require_GET
@member_required("materials.view")
def material_status(request: MemberRequest, model_id: str) -> HttpResponse:
    material = selectors.material_get(account=request.account, model_id=model_id)
    return render(request, "materials/_status.html", {"m": material})


@member_required("materials.view")
def material_detail(request: MemberRequest, model_id: str) -> HttpResponse:
    material = selectors.material_get(account=request.account, model_id=model_id)
    can_manage = role_can(request.member.role, "materials.manage")
    face, profile = selectors.material_effective_degrees(material)
    return render(request, "materials/detail.html", {
        "m": material, "can_manage": can_manage, "operator_view": False,
        "can_test": selectors.material_is_usable(material) and role_can(request.member.role, "test_effect.run"),
        "proofs": selectors.proof_list(material=material),
        "events": audit_rows(audit_events_for(account=request.account, target_type="material",
                                              target_id=material.model_id)),
        "advice": selectors.crop_advice(material),
        "has_degrees": version_has_degrees(material.campaign.version),
        "effective_face": face, "effective_profile": profile,
        "degrees_form": DegreesForm(initial={"face_degree": material.face_degree,
                                             "profile_degree": material.profile_degree}),
        "appeal_form": AppealForm(), "proof_form": ProofForm(),
        "proof_max_mb": settings.MATERIAL_PROOF_MAX_BYTES // 1048576,
        "active_nav": "materials",
    })


@require_POST
@member_required("materials.manage")
def material_rename(request: MemberRequest, model_id: str) -> HttpResponse:
    material = selectors.material_get(account=request.account, model_id=model_id)
    with errors_as_messages(request):
        services.material_rename(material=material, actor=request.user, name=request.POST.get("name", ""))
        messages.success(request, _("Material renamed."))
    return redirect("materials:detail", model_id=material.model_id)


@require_POST
@member_required("materials.manage")
def material_degrees(request: MemberRequest, model_id: str) -> HttpResponse:
    material = selectors.material_get(account=request.account, model_id=model_id)
    form = DegreesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter whole numbers from 0 to 100, or leave a degree empty to use the "
                                  "campaign's."))
    else:
        with errors_as_messages(request):
            services.material_set_degrees(material=material, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Degrees saved."))
    return redirect("materials:detail", model_id=material.model_id)


@require_POST
@member_required("materials.manage")
def material_appeal(request: MemberRequest, model_id: str) -> HttpResponse:
    material = selectors.material_get(account=request.account, model_id=model_id)
    with errors_as_messages(request):
        services.material_appeal(account=request.account, material=material, actor=request.user,
                                 text=request.POST.get("text", ""))
        messages.success(request, _("Appeal sent. An operator decides within one working day."))
    return redirect("materials:detail", model_id=material.model_id)


@require_POST
@member_required("materials.manage")
def material_delete(request: MemberRequest, model_id: str) -> HttpResponse:
    material = selectors.material_get(account=request.account, model_id=model_id)
    services.material_delete(account=request.account, material=material, actor=request.user)
    messages.success(request, _("Material %(name)s deleted; its quota slot is free again.") % {"name": material.name})
    return redirect(reverse("materials:list") + f"?campaign={material.campaign.project_id}")


@require_POST
@member_required("materials.manage")
def proof_upload(request: MemberRequest, model_id: str) -> HttpResponse:
    material = selectors.material_get(account=request.account, model_id=model_id)
    upload = request.FILES.get("file")
    with errors_as_messages(request):
        if upload is None:
            raise ValidationError(_("Choose the scanned proof (JPG, PNG or PDF)."))
        limit = settings.MATERIAL_PROOF_MAX_BYTES

        def too_big(size: int) -> ValidationError:
            return ValidationError(_("The file is %(mb).1f MB; the limit is %(max).0f MB. Scan at a lower "
                                     "resolution and upload it again.") % {"mb": size / 1048576,
                                                                           "max": limit / 1048576})

        data = upload_read(upload, limit, too_big)
        services.proof_create(account=request.account, material=material, actor=request.user, data=data,
                              filename=upload.name or "", kind=request.POST.get("kind", ProofKind.ORIGINAL))
        messages.success(request, _("Copyright proof uploaded; operators see it with the material."))
    return redirect("materials:detail", model_id=material.model_id)


@require_GET
def proof_download(request: ConsoleRequest, model_id: str, proof_id: str) -> HttpResponse:
    """Only the material's account (a member who may see materials) and operators."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if is_operator(request.user):
        proof = selectors.proof_get(account=None, model_id=model_id, proof_id=proof_id)
    else:
        member = request.member
        if member is None or not role_can(member.role, "materials.view"):
            raise PermissionDenied
        proof = selectors.proof_get(account=member.account, model_id=model_id, proof_id=proof_id)
    stored = proof.file.name or ""
    name = f"{proof.material.model_id}-{proof.public_id}.{stored.rsplit('.', 1)[-1]}"
    return redirect(signed_media_url(stored, expires_in=PROOF_LINK_SECONDS, download_name=name))


@require_GET
@member_required("materials.view")
def proof_template(request: MemberRequest, model_id: str) -> HttpResponse:
    material = selectors.material_get(account=request.account, model_id=model_id)
    kind = request.GET.get("kind", ProofKind.ORIGINAL)
    if kind not in ProofKind.values:
        raise Http404
    return render(request, "materials/proof_template.html", {
        "m": material, "account": request.account, "campaign": material.campaign, "kind": kind,
        "today": timezone.localdate(),
    })


@require_GET
@member_required("materials.view")
def quota(request: MemberRequest) -> HttpResponse:
    used, total = selectors.material_quota(account=request.account)
    base = settings.MATERIAL_QUOTA_BASE
    events = audit_events_for(account=request.account, target_type="account",
                              target_id=str(request.account.id)).filter(action=AuditAction.MATERIAL_QUOTA_ADD)
    return render(request, "materials/quota.html", {
        "used": used, "total": total, "base": base, "extra": total - base,
        "percent": min(100, int(100 * used / total)) if total else 100, "events": events, "active_nav": "materials",
    })
