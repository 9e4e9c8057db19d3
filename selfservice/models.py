"""Platform-wide sign-up settings, the algorithm filing shown to customers, and invitations."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from console.models import Account


class SignupMode(models.TextChoices):
    OPEN = "open", _("Open: anyone may sign up")
    INVITATION = "invitation", _("Invitation only")


class PlatformSetting(models.Model):
    """One row (id=1), created on first read. Operators edit it on the sign-up settings page."""

    signup_mode = models.CharField(_("sign-up"), max_length=20, choices=SignupMode.choices,
                                   default=SignupMode.OPEN)
    filing_algorithm_name = models.CharField(_("algorithm name"), max_length=100, blank=True)
    filing_number = models.CharField(_("filing number"), max_length=100, blank=True)
    filing_provider = models.CharField(_("filed by"), max_length=100, blank=True,
                                       help_text=_("The company that holds the filing."))
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"platform settings ({self.signup_mode})"


class Invitation(models.Model):
    """A single-use sign-up link. Only a hash of the token is stored: the link is shown once."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(_("for email"), blank=True,
                              help_text=_("Leave empty to let whoever holds the link sign up with any email."))
    note = models.CharField(_("note"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"invitation {self.id} ({self.email or 'any'})"

    def state(self, now: datetime) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "valid"
