"""Two-step verification pages (console/mfa.py): the security page of every login, enrolment with
its QR code, the code after the password, recovery codes shown once."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console import mfa, selectors
from console.forms import MfaCodeForm
from console.http import SignedInRequest
from console.views_util import add_form_errors


def _next_url(request: SignedInRequest) -> str:
    """Where the user was going, if it is on this site; else their start page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("console:home")


def _codes_page(request: SignedInRequest, codes: list[str], *, next_url: str) -> HttpResponse:
    # Rendered once, in this response only: the codes are never shown again.
    response = render(request, "console/mfa_codes.html", {"codes": codes, "next": next_url})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def security(request: SignedInRequest) -> HttpResponse:
    user = request.user
    enrolled = mfa.is_enrolled(user)
    return render(request, "console/mfa_security.html", {
        "enrolled": enrolled,
        "codes_left": mfa.recovery_codes_left(user) if enrolled else 0,
        # Operators cannot turn it off: it is what stands between a password and the operator area.
        "can_turn_off": enrolled and not selectors.is_operator(user),
    })


@login_required
def setup(request: SignedInRequest) -> HttpResponse:
    user = request.user
    next_url = _next_url(request)
    if mfa.is_enrolled(user):
        return redirect("console:mfa_security")
    key = mfa.pending_key(request.session)
    form = MfaCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.totp_enrol(request=request, user=user, key=key, code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_form_errors(form, exc, default_field="code")
        else:
            messages.success(request, _("Two-step verification is on."))
            return _codes_page(request, codes, next_url=next_url)
    uri = mfa.provisioning_uri(user=user, key=key)
    response = render(request, "console/mfa_setup.html", {
        "form": form, "qr_svg": mfa.qr_svg(uri), "secret": mfa.secret_text(key), "next": next_url,
        "required": selectors.is_operator(user),
    })
    response["Cache-Control"] = "no-store"
    return response


@login_required
def verify(request: SignedInRequest) -> HttpResponse:
    next_url = _next_url(request)
    if mfa.is_verified(request.user) or not mfa.is_enrolled(request.user):
        return redirect(next_url)
    form = MfaCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mfa.mfa_verify(request=request, code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_form_errors(form, exc, default_field="code")
        else:
            return redirect(next_url)
    return render(request, "console/mfa_verify.html", {"form": form, "next": next_url})


@require_POST
@login_required
def codes_regenerate(request: SignedInRequest) -> HttpResponse:
    try:
        codes = mfa.recovery_codes_regenerate(user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("console:mfa_security")
    return _codes_page(request, codes, next_url=reverse("console:mfa_security"))


@require_POST
@login_required
def turn_off(request: SignedInRequest) -> HttpResponse:
    """A customer turns it off with a current code (or a recovery code); operators cannot."""
    if selectors.is_operator(request.user):
        raise PermissionDenied
    form = MfaCodeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Enter the code."))
        mfa.mfa_verify(request=request, code=form.cleaned_data["code"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("console:mfa_security")
    mfa.mfa_reset(user=request.user, actor=request.user)
    messages.success(request, _("Two-step verification is off."))
    return redirect("console:mfa_security")
