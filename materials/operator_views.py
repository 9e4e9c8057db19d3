"""The operators' material pages: the review queue and its decisions, reason templates, any material,
the public-figure gallery and protected images (quota is granted on the account's billing page).
Views parse, call a service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import version_has_degrees
from console.audit import audit_rows
from console.decorators import operator_required
from console.http import SignedInRequest
from console.selectors import audit_events_for
from console.views_util import errors_as_messages, errors_text, upload_read
from materials import operators, selectors
from materials.forms import DecisionForm, FigureForm, ProtectedImageForm

QUEUE_PAGE = 50


@require_GET
@operator_required
def review_queue(request: SignedInRequest) -> HttpResponse:
    qs = selectors.review_queue()
    items = list(qs[:QUEUE_PAGE])
    now = timezone.now()
    rows = []
    for i, m in enumerate(items):
        rows.append({"m": m, "age": selectors.queue_age(m, now=now),
                     "next": items[i + 1].model_id if i + 1 < len(items) else ""})
    return render(request, "materials/review_queue.html", {
        "rows": rows, "total": qs.count(), "focus": request.GET.get("focus", ""),
        "gallery_empty": not selectors.figure_list().exists(),
        "protected_empty": not selectors.protected_image_list().exists(),
        "templates": selectors.reason_templates(), "active_nav": "review_queue",
    })


@require_POST
@operator_required
def review_decide(request: SignedInRequest, model_id: str) -> HttpResponse:
    material = selectors.operator_material_get(model_id=model_id)
    form = DecisionForm(request.POST)
    target = reverse("materials:review_queue")
    if not form.is_valid():
        messages.error(request, _("The decision form was incomplete; try again."))
        return redirect(target)
    data = form.cleaned_data
    reason = (data["reason"] or data["template"] or "").strip()
    approve = data["decision"] == "approve"
    try:
        operators.material_decide(material_id=material.id, actor=request.user, approve=approve, reason=reason,
                                 expected_status=data["expected_status"])
    except operators.DecisionConflict as exc:
        messages.warning(request, errors_text(exc))
        return redirect(target + (f"?focus={model_id}" if data["next"] else ""))
    except ValidationError as exc:
        messages.error(request, f"{material.name}: {errors_text(exc)}")
        return redirect(target + f"?focus={model_id}")
    messages.success(request, (_("%(name)s approved.") if approve else _("%(name)s rejected."))
                     % {"name": material.name})
    return redirect(target + (f"?focus={data['next']}" if data["next"] else ""))


@require_POST
@operator_required
def reason_add(request: SignedInRequest) -> HttpResponse:
    with errors_as_messages(request):
        operators.reason_template_create(actor=request.user, text=request.POST.get("text", ""))
    return redirect("materials:review_queue")


@require_POST
@operator_required
def reason_delete(request: SignedInRequest, template_id: int) -> HttpResponse:
    template = get_object_or_404(selectors.reason_templates(), id=template_id)
    operators.reason_template_delete(actor=request.user, template=template)
    return redirect("materials:review_queue")


@operator_required
def operator_material(request: SignedInRequest, model_id: str) -> HttpResponse:
    material = selectors.operator_material_get(model_id=model_id)
    face, profile = selectors.material_effective_degrees(material)
    return render(request, "materials/detail.html", {
        "m": material, "can_manage": False, "operator_view": True,
        "proofs": selectors.proof_list(material=material),
        "events": audit_rows(audit_events_for(account=None, target_type="material", target_id=material.model_id)),
        "advice": None, "has_degrees": version_has_degrees(material.campaign.version),
        "effective_face": face, "effective_profile": profile, "active_nav": "review_queue",
        "templates": selectors.reason_templates(),
    })


@operator_required
def gallery(request: SignedInRequest) -> HttpResponse:
    form = FigureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            photos = [upload_read(f, operators.GALLERY_PHOTO_MAX_BYTES, _gallery_too_big)
                      for f in request.FILES.getlist("photos")]
            figure = operators.figure_create(actor=request.user, photos=photos, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(name)s added to the gallery.") % {"name": figure.name})
            return redirect("materials:gallery")
    return render(request, "materials/gallery.html", {"form": form, "figures": selectors.figure_list(),
                                                      "active_nav": "review_queue"})


def _gallery_too_big(size: int) -> ValidationError:
    return ValidationError(_("Each photo may be at most 5 MB."))


@require_POST
@operator_required
def gallery_bulk(request: SignedInRequest) -> HttpResponse:
    files = request.FILES.getlist("photos")
    if not files:
        messages.error(request, _("Choose the photos to upload; name each file after its person."))
        return redirect("materials:gallery")
    try:
        photos = [(f.name or "", upload_read(f, operators.GALLERY_PHOTO_MAX_BYTES, _gallery_too_big)) for f in files]
        results = operators.gallery_bulk_add(actor=request.user, photos=photos)
    except ValidationError as exc:
        messages.error(request, errors_text(exc))
        return redirect("materials:gallery")
    added = [r for r in results if not r.error]
    people = sorted({r.person for r in added})
    if added:
        messages.success(request, _("%(n)d photos added for %(people)s. Existing materials are being re-checked "
                                    "against them.") % {"n": len(added), "people": "、".join(people)})
    for r in results:
        if r.error:
            messages.error(request, f"{r.filename}: {r.error}")
    return redirect("materials:gallery")


@require_POST
@operator_required
def gallery_photo_add(request: SignedInRequest, figure_id: int) -> HttpResponse:
    figure = selectors.figure_get(figure_id=figure_id)
    upload = request.FILES.get("photo")
    with errors_as_messages(request):
        if upload is None:
            raise ValidationError(_("Choose a photo."))
        operators.figure_add_photo(actor=request.user, figure=figure,
                                  data=upload_read(upload, operators.GALLERY_PHOTO_MAX_BYTES, _gallery_too_big))
        messages.success(request, _("Photo added."))
    return redirect("materials:gallery")


@require_POST
@operator_required
def gallery_delete(request: SignedInRequest, figure_id: int) -> HttpResponse:
    figure = selectors.figure_get(figure_id=figure_id)
    operators.figure_delete(actor=request.user, figure=figure)
    messages.success(request, _("%(name)s removed from the gallery.") % {"name": figure.name})
    return redirect("materials:gallery")


@operator_required
def protected(request: SignedInRequest) -> HttpResponse:
    form = ProtectedImageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = form.cleaned_data["image"]
            item = operators.protected_image_create(
                actor=request.user, name=form.cleaned_data["name"],
                data=upload_read(upload, operators.GALLERY_PHOTO_MAX_BYTES, _gallery_too_big))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(name)s added to the protected images.") % {"name": item.name})
            return redirect("materials:protected")
    return render(request, "materials/protected.html", {"form": form, "items": selectors.protected_image_list(),
                                                        "active_nav": "review_queue"})


@require_POST
@operator_required
def protected_delete(request: SignedInRequest, item_id: int) -> HttpResponse:
    item = selectors.protected_image_get(item_id=item_id)
    operators.protected_image_delete(actor=request.user, item=item)
    messages.success(request, _("Protected image removed."))
    return redirect("materials:protected")
