from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import selectors, services
from campaigns.forms import CampaignCreateForm, CampaignRenameForm, DegreesForm
from campaigns.models import DEGREE_LEVELS, CampaignStatus, CampaignVersion, level_choices
from console.decorators import member_required
from console.http import MemberRequest
from console.roles import role_can
from console.views_util import add_form_errors, errors_as_messages, page_of


def _version_context() -> dict:
    return {
        "versions": CampaignVersion.choices,
        "levels": {v: level_choices(v) for v in DEGREE_LEVELS},
    }


@member_required("campaigns.view")
def campaign_list(request: MemberRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:40]
    status = request.GET.get("status", "")
    if status not in CampaignStatus.values:
        status = ""
    qs = selectors.campaign_list(account=request.account, query=query, status=status)
    page = page_of(request, qs)
    context = {
        "page": page, "campaigns": page.object_list, "q": query, "status": status,
        "statuses": CampaignStatus.choices,
        "can_manage": role_can(request.member.role, "campaigns.manage"),
        "active_nav": "campaigns", **_version_context(),
    }
    return render(request, "campaigns/list.html", context)


@member_required("campaigns.manage")
def campaign_create(request: MemberRequest) -> HttpResponse:
    form = CampaignCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(account=request.account, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Campaign %(name)s created. Its ProjectId is %(id)s.")
                             % {"name": campaign.name, "id": campaign.project_id})
            return redirect("campaigns:list")
    return render(request, "campaigns/create.html", {"form": form, "active_nav": "campaigns",
                                                     **_version_context()})


@member_required("campaigns.manage")
def campaign_edit(request: MemberRequest, project_id: str) -> HttpResponse:
    campaign = selectors.campaign_get(account=request.account, project_id=project_id)
    form = CampaignRenameForm(request.POST or None, initial={"name": campaign.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_rename(campaign=campaign, actor=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Campaign renamed."))
            return redirect("campaigns:list")
    degrees_form = DegreesForm(initial={"face_degree": campaign.face_degree,
                                        "profile_degree": campaign.profile_degree})
    return render(request, "campaigns/edit.html", {
        "campaign": campaign, "form": form, "degrees_form": degrees_form,
        "versions": CampaignVersion.choices, "active_nav": "campaigns",
        "face_choices": degree_choices(campaign.version, campaign.face_degree),
        "profile_choices": degree_choices(campaign.version, campaign.profile_degree)})


def degree_choices(version: str, current: int | None) -> list[tuple[int, str]]:
    """The version's named levels, plus the current value when it was set to something else."""
    choices = level_choices(version)
    if current is not None and current not in {value for value, _label in choices}:
        choices = sorted([*choices, (current, _("Custom · %(n)d") % {"n": current})])
    return choices


@require_POST
@member_required("campaigns.manage")
def campaign_set_version(request: MemberRequest, project_id: str) -> HttpResponse:
    campaign = selectors.campaign_get(account=request.account, project_id=project_id)
    with errors_as_messages(request):
        services.campaign_set_version(campaign=campaign, actor=request.user, version=request.POST.get("version", ""))
        messages.success(request, _("%(name)s now uses %(version)s.")
                         % {"name": campaign.name, "version": campaign.get_version_display()})
    if request.POST.get("next") == "edit":
        return redirect("campaigns:edit", project_id=campaign.project_id)
    return redirect("campaigns:list")


@require_POST
@member_required("campaigns.manage")
def campaign_set_degrees(request: MemberRequest, project_id: str) -> HttpResponse:
    campaign = selectors.campaign_get(account=request.account, project_id=project_id)
    form = DegreesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter whole numbers from 0 to 100 for both degrees."))
    else:
        with errors_as_messages(request):
            services.campaign_set_degrees(campaign=campaign, actor=request.user, **form.cleaned_data)
            messages.success(request, _("Default degrees saved."))
    return redirect("campaigns:edit", project_id=campaign.project_id)


@require_POST
@member_required("campaigns.manage")
def campaign_set_status(request: MemberRequest, project_id: str) -> HttpResponse:
    campaign = selectors.campaign_get(account=request.account, project_id=project_id)
    with errors_as_messages(request):
        campaign = services.campaign_transition(campaign=campaign, actor=request.user,
                                                action=request.POST.get("action", ""))
        messages.success(request, _("Campaign enabled.") if campaign.status == CampaignStatus.ACTIVE
                         else _("Campaign disabled: it takes no new materials."))
    return redirect("campaigns:list")


@require_POST
@member_required("campaigns.manage")
def campaign_delete(request: MemberRequest, project_id: str) -> HttpResponse:
    campaign = selectors.campaign_get(account=request.account, project_id=project_id)
    with errors_as_messages(request):
        services.campaign_delete(campaign=campaign, actor=request.user)
        messages.success(request, _("Campaign %(name)s deleted.") % {"name": campaign.name})
    return redirect("campaigns:list")
