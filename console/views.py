from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console import login_throttle, mfa, selectors, services
from console.audit import audit_rows
from console.client import client_ip
from console.decorators import member_required, operator_required
from console.forms import (
    AccountStatusForm,
    CredentialCreateForm,
    MemberCreateForm,
    MemberPasswordForm,
    MemberUpdateForm,
    ThrottledAuthenticationForm,
)
from console.http import ConsoleRequest, MemberRequest, SignedInRequest
from console.models import (
    ACCOUNT_TRANSITIONS,
    OPERATOR_ACCOUNT_ACTIONS,
    AccountAction,
    AccountStatus,
    ApiCredential,
    AuditAction,
    CredentialStatus,
    Role,
)
from console.overview import operator_account_columns, overview_figures
from console.roles import ASSIGNABLE_BY, ROLE_SUMMARIES, role_can
from console.views_util import add_form_errors, errors_as_messages, errors_text, page_of


class ConsoleLoginView(LoginView):
    template_name = "console/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        # This browser and this address are now known sources of the login (console/login_throttle.py).
        login_throttle.remember(self.request, response, username=form.get_user().get_username(),
                                ip=client_ip(self.request))
        return response

    def get_success_url(self) -> str:
        # Enrolled users (and operators, who must enrol) take the second step before going on.
        url = super().get_success_url()
        step = mfa.pending_step(self.request)
        return mfa.step_url(step, url) if step else url

    def get_default_redirect_url(self) -> str:
        # Operators belong to no account: their start page is the operator area.
        user = self.request.user
        if selectors.member_for_user(user) is None and selectors.is_operator(user):
            return reverse("materials:review_queue")
        return super().get_default_redirect_url()


@require_GET
def home(request: ConsoleRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("console:login")
    if request.member is None and selectors.is_operator(request.user):
        # Operators start where the work waits (docs/decisions.md).
        return redirect("materials:review_queue")
    return redirect("console:overview")


@login_required
def password_change(request: SignedInRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        services.audit_record(actor=request.user, account=request.member.account if request.member else None,
                              action=AuditAction.USER_PASSWORD_CHANGE, target_type="user", target_id=request.user.pk)
        messages.success(request, _("Your password has been changed."))
        return redirect("console:home")
    return render(request, "console/password_change.html", {"form": form})


@member_required("overview.view")
def overview(request: MemberRequest) -> HttpResponse:
    account = request.account
    member = request.member
    context = {
        "member_count": selectors.member_list(account=account).count(),
        "credential_count": selectors.credential_list(account=account).count(),
        "my_credential_count": selectors.credential_list(account=account, member=member).count(),
        "can_keys": role_can(member.role, "keys.own"),
        "can_members": role_can(member.role, "members.view"),
        "figures": overview_figures(account=account, member=member),
        "active_nav": "overview",
    }
    return render(request, "console/overview.html", context)


# --- access: sub-accounts and API keys -----------------------------------------------------

@member_required("keys.own")
def access(request: MemberRequest) -> HttpResponse:
    member = request.member
    can_members = role_can(member.role, "members.view")
    all_keys = role_can(member.role, "keys.manage_all")
    tab = request.GET.get("tab")
    if tab not in {"members", "keys"} or (tab == "members" and not can_members):
        tab = "members" if can_members else "keys"
    rows: QuerySet[Any]
    if tab == "members":
        rows = selectors.member_list(account=request.account)
    else:
        rows = selectors.credential_list(account=request.account, member=None if all_keys else member)
    page = page_of(request, rows)
    if tab == "keys":
        for credential in page:
            credential.changeable = services.credential_changeable_by(credential=credential, by=member)
    context = {
        "tab": tab,
        "can_members": can_members,
        "can_manage_members": role_can(member.role, "members.manage"),
        "page": page,
        "all_keys": all_keys,
        "own_key_count": selectors.credential_list(account=request.account, member=member).count(),
        "max_keys": services.MAX_CREDENTIALS_PER_MEMBER,
        "active_nav": "access",
    }
    return render(request, "console/access.html", context)


@member_required("members.manage")
def member_create(request: MemberRequest) -> HttpResponse:
    roles = ASSIGNABLE_BY[request.member.role]
    form = MemberCreateForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_create(account=request.account, by=request.member, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc, default_field="password")
        else:
            messages.success(request, _("Sub-account %(name)s created.") % {"name": form.cleaned_data["username"]})
            return _access_redirect("members")
    return render(request, "console/member_form.html",
                  {"form": form, "creating": True, "active_nav": "access", "roles": _role_summaries(roles)})


@member_required("members.manage")
def member_edit(request: MemberRequest, member_id: int) -> HttpResponse:
    target = selectors.member_get(account=request.account, member_id=member_id)
    roles = ASSIGNABLE_BY[request.member.role]
    initial = {"display_name": target.display_name, "email": target.user.email, "role": target.role}
    form = MemberUpdateForm(request.POST or None, initial=initial, roles=roles)
    password_form = MemberPasswordForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(member=target, by=request.member, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc, default_field="password")
        else:
            messages.success(request, _("Sub-account saved."))
            return _access_redirect("members")
    return render(request, "console/member_form.html",
                  {"form": form, "target": target, "password_form": password_form, "creating": False,
                   "active_nav": "access", "roles": _role_summaries(roles)})


@require_POST
@member_required("members.manage")
def member_password(request: MemberRequest, member_id: int) -> HttpResponse:
    target = selectors.member_get(account=request.account, member_id=member_id)
    form = MemberPasswordForm(request.POST)
    if form.is_valid():
        with errors_as_messages(request):
            services.member_set_password(member=target, by=request.member, password=form.cleaned_data["password"])
            messages.success(request, _("Password reset."))
    else:
        messages.error(request, _("Enter a password of at least 8 characters."))
    return redirect("console:member_edit", member_id=target.id)


@require_POST
@member_required("members.manage")
def member_set_active(request: MemberRequest, member_id: int) -> HttpResponse:
    target = selectors.member_get(account=request.account, member_id=member_id)
    active = request.POST.get("active") == "1"
    with errors_as_messages(request):
        services.member_set_active(member=target, by=request.member, active=active)
        messages.success(request, _("Sub-account enabled.") if active else _("Sub-account disabled."))
    return _access_redirect("members")


@require_POST
@member_required("members.manage")
def member_delete(request: MemberRequest, member_id: int) -> HttpResponse:
    target = selectors.member_get(account=request.account, member_id=member_id)
    services.member_delete(member=target, by=request.member)
    messages.success(request, _("Sub-account removed."))
    return _access_redirect("members")


def _credential_for(request: MemberRequest, credential_id: int) -> ApiCredential:
    all_keys = role_can(request.member.role, "keys.manage_all")
    return selectors.credential_get(account=request.account, credential_id=credential_id,
                                    member=None if all_keys else request.member)


@require_POST
@member_required("keys.own")
def credential_create(request: MemberRequest) -> HttpResponse:
    form = CredentialCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The description is too long."))
        return _access_redirect("keys")
    try:
        new = services.credential_create(member=request.member, description=form.cleaned_data["description"])
    except ValidationError as exc:
        messages.error(request, errors_text(exc))
        return _access_redirect("keys")
    # Rendered once, in this response only: the key is never stored or shown again.
    response = render(request, "console/credential_created.html", {"new": new, "active_nav": "access"})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@member_required("keys.own")
def credential_set_status(request: MemberRequest, credential_id: int) -> HttpResponse:
    credential = _credential_for(request, credential_id)
    with errors_as_messages(request):
        credential = services.credential_transition(credential=credential, by=request.member,
                                                    action=request.POST.get("action", ""))
        messages.success(request, _("Key enabled.") if credential.status == CredentialStatus.ENABLED
                         else _("Key disabled."))
    return _access_redirect("keys")


@require_POST
@member_required("keys.own")
def credential_delete(request: MemberRequest, credential_id: int) -> HttpResponse:
    credential = _credential_for(request, credential_id)
    with errors_as_messages(request):
        services.credential_delete(credential=credential, by=request.member)
        messages.success(request, _("Key deleted."))
    return _access_redirect("keys")


# --- operators ---------------------------------------------------------------------------

@operator_required
def operator_accounts(request: SignedInRequest) -> HttpResponse:
    """The one account list: logins and status here, the other apps' columns (balance, packs, bills,
    materials) composed by the project package."""
    query, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    qs = selectors.account_search(selectors.account_list().annotate(member_count=Count("members")),
                                  query=query, status=status)
    qs, columns = operator_account_columns(qs)
    page = page_of(request, qs)
    rows = [{"account": a, "cells": [{"text": c.text(a), "url": c.url(a) if c.url else ""} for c in columns]}
            for a in page]
    return render(request, "console/operator_accounts.html",
                  {"page": page, "rows": rows, "columns": columns, "q": query, "status": status,
                   "statuses": AccountStatus.choices, "active_nav": "accounts"})


@operator_required
def operator_account_detail(request: SignedInRequest, account_id: int) -> HttpResponse:
    account = selectors.account_get(account_id=account_id)
    form = AccountStatusForm()
    actions = [AccountAction(action) for action in ACCOUNT_TRANSITIONS.actions_from(account.status)
               if action in OPERATOR_ACCOUNT_ACTIONS]
    members = list(selectors.member_list(account=account))
    locked = {m.id for m in members if login_throttle.new_sources_locked(m.user.get_username())}
    enrolled = mfa.enrolled_user_ids([m.user_id for m in members])
    return render(request, "console/operator_account_detail.html", {
        "account": account, "form": form, "actions": actions, "members": members, "locked_member_ids": locked,
        "mfa_user_ids": enrolled,
        "events": audit_rows(list(account.audit_events.select_related("actor")[:50])),
        "active_nav": "accounts",
    })


@require_POST
@operator_required
def operator_account_status(request: SignedInRequest, account_id: int) -> HttpResponse:
    account = selectors.account_get(account_id=account_id)
    form = AccountStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(message) for errors in form.errors.values() for message in errors))
    else:
        with errors_as_messages(request):
            services.account_transition(account=account, action=form.cleaned_data["action"], actor=request.user,
                                        reason=form.cleaned_data["reason"])
            messages.success(request, _("Account status changed."))
    return redirect("console:operator_account_detail", account_id=account.id)


@require_POST
@operator_required
def operator_login_unlock(request: SignedInRequest, account_id: int, member_id: int) -> HttpResponse:
    account = selectors.account_get(account_id=account_id)
    member = selectors.member_get(account=account, member_id=member_id)
    services.login_unlock(user=member.user, actor=request.user)
    messages.success(request, _("The login %(name)s can sign in again from anywhere.") % {"name": member.user.username})
    return redirect("console:operator_account_detail", account_id=account.id)


@require_POST
@operator_required
def operator_mfa_reset(request: SignedInRequest, account_id: int, member_id: int) -> HttpResponse:
    account = selectors.account_get(account_id=account_id)
    member = selectors.member_get(account=account, member_id=member_id)
    if mfa.mfa_reset(user=member.user, actor=request.user):
        messages.success(request, _("Two-step verification of %(name)s is reset; they can sign in with the "
                                    "password alone and enrol again.") % {"name": member.user.username})
    else:
        messages.error(request, _("%(name)s has not turned on two-step verification.") % {"name": member.user.username})
    return redirect("console:operator_account_detail", account_id=account.id)


def _role_summaries(roles: list[str]) -> list[tuple[str | Promise, str | Promise]]:
    return [(Role(role).label, ROLE_SUMMARIES[role]) for role in roles]


def _access_redirect(tab: str) -> HttpResponse:
    return redirect(reverse("console:access") + f"?tab={tab}")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, PermissionDenied) and exception.args:
        message = str(exception.args[0])
    else:
        message = _("Your role does not allow this. Ask the account owner for access.")
    return render(request, "403.html", {"message": message}, status=403)
