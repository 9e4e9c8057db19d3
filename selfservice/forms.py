from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from console.client import client_ip
from console.models import Account
from console.validators import validate_uscc
from selfservice import throttle
from selfservice.mail import mail_send_in_background
from selfservice.models import PlatformSetting

User = get_user_model()

RATE_LIMITED = _("Too many attempts from this address or for this email. Wait an hour and try again.")


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Email"), help_text=_("You sign in with it; we send a verification link."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))
    password = forms.CharField(label=_("Password"), min_length=8,
                               help_text=_("At least 8 characters, not all digits, not a common password."),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    company = forms.CharField(label=_("Company name"), max_length=100,
                              help_text=_("As on your business licence; used on invoices and copyright proofs."))
    contact_name = forms.CharField(label=_("Contact name"), max_length=50)
    contact_phone = forms.RegexField(label=_("Contact phone"), max_length=30, regex=r"^\+?[0-9][0-9 \-]{5,28}$",
                                     error_messages={"invalid": _("Enter a phone number of digits, e.g. "
                                                                  "13800138000 or 010-12345678.")})

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        email, password = cleaned.get("email"), cleaned.get("password")
        # Checked whatever the other fields hold, so one submit shows every error at once.
        if password:
            try:
                validate_password(password, User(username=email or "", email=email or ""))
            except ValidationError as exc:
                self.add_error("password", exc)
        if not self.errors and not throttle.attempt_allowed(action="signup", ip=client_ip(self.request),
                                                             email=email or ""):
            raise ValidationError(RATE_LIMITED, code="rate_limited")
        return cleaned


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form (same answer whether or not the email exists), rate limited."""

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        email = (cleaned.get("email") or "").strip().lower()
        if email and not throttle.attempt_allowed(action="reset", ip=client_ip(self.request), email=email):
            raise ValidationError(RATE_LIMITED, code="rate_limited")
        return cleaned

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        # Only a registered address gets a mail: sent inline, the SMTP round trip would tell who has
        # an account. Django's send_mail logs a failed send instead of raising.
        parent_send = super().send_mail
        mail_send_in_background(lambda: parent_send(*args, **kwargs))


class NewPasswordForm(SetPasswordForm):
    pass


class ActivateForm(forms.Form):
    accept = forms.BooleanField(label=_("I have read and accept the service agreement."), required=False)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = ["name", "contact_name", "contact_phone", "contact_email", "invoice_title", "tax_id"]
        help_texts = {
            "name": _("Printed on copyright-proof templates and invoices."),
            "invoice_title": _("Default title for invoice requests; usually the company name."),
            "tax_id": _("Unified social credit code (统一社会信用代码): 18 characters, on the business licence."),
        }

    def clean_tax_id(self) -> str:
        value = self.cleaned_data["tax_id"].strip()
        return validate_uscc(value) if value else ""


class PlatformSettingForm(forms.ModelForm):
    class Meta:
        model = PlatformSetting
        fields = ["signup_mode", "filing_algorithm_name", "filing_number", "filing_provider"]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("For email"), required=False,
                             help_text=_("Optional: only this address can use the link."))
    note = forms.CharField(label=_("Note"), max_length=100, required=False)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=90, initial=7)
