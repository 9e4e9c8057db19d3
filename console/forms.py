from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from console import login_throttle
from console.client import client_ip
from console.models import OPERATOR_ACCOUNT_ACTIONS, AccountAction, Role
from observability.metrics import login_lockout_count

User = get_user_model()


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("Too many failed sign-ins. Try again in %(minutes)d minutes, sign in from a device you "
                    "used before, or ask the platform operator to unlock the login."),
    }

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        source = login_throttle.source_for(self.request, username=username, ip=client_ip(self.request))
        # Already locked: refuse without counting, so a locked window is not stretched.
        # Otherwise the attempt is counted before the password is checked (concurrent guesses
        # cannot all slip past the check) and given back on success.
        if login_throttle.is_locked(source) or not login_throttle.attempt_reserve(source):
            login_lockout_count()
            raise ValidationError(self.error_messages["locked"], code="locked",
                                  params={"minutes": max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)})
        cleaned = super().clean()  # a failure stays counted
        login_throttle.succeeded(source)
        return cleaned


class MemberCreateForm(forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=150,
                               help_text=_("Letters, digits and @ . + - _; used to sign in."),
                               validators=[UnicodeUsernameValidator()],
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    display_name = forms.CharField(label=_("Display name"), max_length=50, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    # The least powerful role unless the creator picks another: a forgotten choice grants nothing.
    role = forms.ChoiceField(label=_("Role"), initial=Role.VIEWER)
    password = forms.CharField(label=_("Initial password"), min_length=8,
                               help_text=_("At least 8 characters, not all digits. Tell it to the colleague "
                                           "in person; they can change it after signing in."),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = [(r, Role(r).label) for r in roles]

    def clean(self) -> dict:
        # The password rules are checked with the other fields, so one submit shows every error
        # (the service checks them again).
        super().clean()
        cleaned = self.cleaned_data
        password = cleaned.get("password")
        if password:
            try:
                validate_password(password, User(username=cleaned.get("username") or "",
                                                  email=cleaned.get("email") or ""))
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class MemberUpdateForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=50, required=False,
                                   widget=forms.TextInput(attrs={"autofocus": True}))
    email = forms.EmailField(label=_("Email"), required=False)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["role"]).choices = [(r, Role(r).label) for r in roles]


class MemberPasswordForm(forms.Form):
    password = forms.CharField(label=_("New password"), min_length=8,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class CredentialCreateForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=100, required=False)


class AccountStatusForm(forms.Form):
    """An operator's action on an account's status (never a target status: the table decides it)."""

    action = forms.ChoiceField(choices=[(a.value, a.label) for a in AccountAction if a in OPERATOR_ACCOUNT_ACTIONS],
                               error_messages={"required": _("Choose what to do with the account."),
                                               "invalid_choice": _("Choose what to do with the account.")})
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             error_messages={"required": _("Give a reason for the change.")})


class MfaCodeForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=32,
                           error_messages={"required": _("Enter the code.")},
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code",
                                                         "inputmode": "text", "spellcheck": "false"}))
