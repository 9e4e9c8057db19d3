
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.client import client_ip
from console.decorators import member_required, operator_required
from console.http import MemberRequest, SignedInRequest
from console.mail import absolute_url
from console.models import ServiceStatus
from console.roles import role_can
from console.views_util import add_form_errors, errors_as_messages
from selfservice import selectors, services, throttle
from selfservice.forms import (
    RATE_LIMITED,
    ActivateForm,
    InvitationForm,
    NewPasswordForm,
    PlatformSettingForm,
    ProfileForm,
    SignupForm,
    ThrottledPasswordResetForm,
)
from selfservice.models import Invitation, SignupMode

# --- sign-up ---------------------------------------------------------------------------------

def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("console:home")
    invitation_only = selectors.platform_settings_get().signup_mode == SignupMode.INVITATION
    token = (request.POST.get("invite") if request.method == "POST" else request.GET.get("invite")) or ""
    if invitation_only:
        try:
            services.invitation_check(token=token)
        except ValidationError as exc:
            return render(request, "selfservice/signup_refused.html", {"reason": exc.messages[0]}, status=403)
    form = SignupForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.signup_register(email=data["email"], password=data["password"], company=data["company"],
                                     contact_name=data["contact_name"], contact_phone=data["contact_phone"],
                                     invitation_token=token)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            request.session["signup_email"] = data["email"]
            return redirect("console:signup_done")
    return render(request, "selfservice/signup.html",
                  {"form": form, "invitation_only": invitation_only, "invite": token})


def signup_done(request: HttpRequest) -> HttpResponse:
    return render(request, "selfservice/signup_done.html", {"email": request.session.get("signup_email", "")})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        account = services.email_verify(token=token)
    except ValidationError as exc:
        return render(request, "selfservice/verify_result.html", {"error": exc.messages[0]}, status=400)
    return render(request, "selfservice/verify_result.html", {"account": account})


@require_POST
@member_required("overview.view", activated=False)
def verify_resend(request: MemberRequest) -> HttpResponse:
    member = request.member
    if not member.is_owner:
        raise PermissionDenied
    if request.account.email_verified_at:
        messages.info(request, _("Your email is already verified."))
    elif not throttle.attempt_allowed(action="verify", ip=client_ip(request), email=member.user.email):
        messages.error(request, RATE_LIMITED)
    else:
        services.verification_send(user=member.user)
        hours = settings.SIGNUP_VERIFY_MAX_AGE // 3600
        messages.success(request, _("We sent a new verification link to %(email)s. It is valid for %(hours)d "
                                    "hours.") % {"email": member.user.email, "hours": hours})
    return redirect("console:activate")


# --- password reset (Django's views, our templates, the same answer for any email) -----------------

class PasswordResetView(auth_views.PasswordResetView):
    template_name = "selfservice/password_reset.html"
    form_class = ThrottledPasswordResetForm
    email_template_name = "selfservice/mail/password_reset_body.txt"
    subject_template_name = "selfservice/mail/password_reset_subject.txt"
    success_url = reverse_lazy("console:password_reset_done")

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        self.extra_email_context = {"base_url": absolute_url("")}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "selfservice/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "selfservice/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("console:password_reset_complete")

    def form_valid(self, form: "SetPasswordForm[User]") -> HttpResponse:
        # The new password and its audit row commit together.
        with transaction.atomic():
            response = super().form_valid(form)
            services.password_reset_audit(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "selfservice/password_reset_complete.html"


# --- activation, profile, filing -----------------------------------------------------------------

@member_required("overview.view", activated=False)
def activate(request: MemberRequest) -> HttpResponse:
    account = request.account
    member = request.member
    form = ActivateForm(request.POST or None)
    if request.method == "POST":
        if not member.is_owner:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.service_activate(account=account, actor=request.user,
                                          agreement_accepted=form.cleaned_data["accept"])
            except ValidationError as exc:
                add_form_errors(form, exc)
            else:
                messages.success(request, _("The service is activated. This month's %(calls)s free calls are "
                                            "in your account.") % {"calls": f"{settings.FREE_PACK_CALLS:,}"})
                return redirect("console:activate")
    context = {
        "form": form, "account": account, "is_owner": member.is_owner,
        "opened": account.service_status == ServiceStatus.OPENED,
        "free_calls": f"{settings.FREE_PACK_CALLS:,}", "filing": selectors.platform_settings_get(),
        "can_keys": role_can(member.role, "keys.own"),
        "keys_url": reverse("console:access") + "?tab=keys", "billing_url": reverse("billing:overview"),
        "active_nav": "activate",
    }
    return render(request, "selfservice/activate.html", context)


@member_required("profile.manage", activated=False)
def profile(request: MemberRequest) -> HttpResponse:
    account = request.account
    form = ProfileForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in ProfileForm.Meta.fields}
        # The form wrote into the instance while validating; the service compares against the database.
        account.refresh_from_db()
        try:
            services.profile_update(account=account, actor=request.user, **data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Account profile saved."))
            return redirect("console:profile")
    return render(request, "selfservice/profile.html", {"form": form, "account": account, "active_nav": "profile"})


@login_required
def filing(request: SignedInRequest) -> HttpResponse:
    return render(request, "selfservice/filing.html",
                  {"filing": selectors.platform_settings_get(), "active_nav": "filing"})


# --- operators ------------------------------------------------------------------------------------

@operator_required
def ops_signup(request: SignedInRequest) -> HttpResponse:
    setting = selectors.platform_settings_get()
    settings_form = PlatformSettingForm(request.POST if request.POST.get("form") == "settings" else None,
                                        instance=setting, prefix="s")
    invite_form = InvitationForm(request.POST if request.POST.get("form") == "invite" else None, prefix="i",
                                 initial={"days": settings.SIGNUP_INVITATION_DAYS})
    new_link = None
    if request.method == "POST" and settings_form.is_bound and settings_form.is_valid():
        data = settings_form.cleaned_data
        services.platform_settings_update(actor=request.user, **data)
        messages.success(request, _("Sign-up settings saved."))
        return redirect("console:ops_signup")
    if request.method == "POST" and invite_form.is_bound and invite_form.is_valid():
        try:
            created = services.invitation_create(actor=request.user, **invite_form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(invite_form, exc)
        else:
            new_link = created.url
            invite_form = InvitationForm(prefix="i", initial={"days": settings.SIGNUP_INVITATION_DAYS})
    now = timezone.now()
    invitations = [(inv, inv.state(now)) for inv in selectors.invitation_list()[:100]]
    return render(request, "selfservice/ops_signup.html", {
        "settings_form": settings_form, "invite_form": invite_form, "new_link": new_link,
        "invitations": invitations, "active_nav": "signup_settings"})


@require_POST
@operator_required
def ops_invitation_revoke(request: SignedInRequest, invitation_id: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, id=invitation_id)
    with errors_as_messages(request):
        services.invitation_revoke(invitation=invitation, actor=request.user)
        messages.success(request, _("Invitation withdrawn."))
    return redirect("console:ops_signup")
