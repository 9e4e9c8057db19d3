import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from console.transitions import TransitionTable


class AccountStatus(models.TextChoices):
    # Short words get a context so the project catalogue (which wins over every app's own)
    # does not impose these translations on other apps' identical msgids.
    ACTIVE = "active", pgettext_lazy("account status", "Active")
    FROZEN = "frozen", _("Frozen")
    IN_ARREARS = "in_arrears", _("In arrears")
    STOPPED = "stopped", _("Stopped")


class AccountAction(models.TextChoices):
    """What may happen to an account's status (docs/state-machines.md): the operators' four, and
    billing's two for arrears."""

    FREEZE = "freeze", _("Freeze")
    UNFREEZE = "unfreeze", _("Unfreeze")
    STOP = "stop", _("Stop")
    REOPEN = "reopen", _("Reopen")
    ARREARS_START = "arrears_start", _("Arrears start")
    ARREARS_END = "arrears_end", _("Arrears end")


OPERATOR_ACCOUNT_ACTIONS = frozenset({AccountAction.FREEZE, AccountAction.UNFREEZE, AccountAction.STOP,
                                      AccountAction.REOPEN})

ACCOUNT_TRANSITIONS: TransitionTable[str, str] = TransitionTable(_("account status"), {
    (AccountStatus.ACTIVE, AccountAction.FREEZE): AccountStatus.FROZEN,
    (AccountStatus.IN_ARREARS, AccountAction.FREEZE): AccountStatus.FROZEN,
    (AccountStatus.FROZEN, AccountAction.UNFREEZE): AccountStatus.ACTIVE,
    (AccountStatus.ACTIVE, AccountAction.STOP): AccountStatus.STOPPED,
    (AccountStatus.FROZEN, AccountAction.STOP): AccountStatus.STOPPED,
    (AccountStatus.IN_ARREARS, AccountAction.STOP): AccountStatus.STOPPED,
    (AccountStatus.STOPPED, AccountAction.REOPEN): AccountStatus.ACTIVE,
    (AccountStatus.ACTIVE, AccountAction.ARREARS_START): AccountStatus.IN_ARREARS,
    (AccountStatus.IN_ARREARS, AccountAction.ARREARS_END): AccountStatus.ACTIVE,
})


class ServiceStatus(models.TextChoices):
    """Whether the account has opened (开通) the face fusion service: one step, at activation."""

    NOT_OPENED = "not_opened", _("Not activated")
    OPENED = "opened", _("Activated")


def new_app_id() -> int:
    # Ten digits starting with 125, like the cloud's AppIDs, so SDK samples look familiar.
    return 1250000000 + secrets.randbelow(10_000_000)


class Account(models.Model):
    """A tenant (主账号). ``app_id`` is its public number."""

    app_id = models.BigIntegerField(unique=True, default=new_app_id, editable=False)
    name = models.CharField(_("company name"), max_length=100)
    status = models.CharField(max_length=20, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    service_status = models.CharField(max_length=20, choices=ServiceStatus.choices,
                                      default=ServiceStatus.OPENED)
    service_opened_at = models.DateTimeField(null=True, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    invoice_title = models.CharField(_("invoice title"), max_length=100, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("operator", "Platform operator: sees every account in the operator area")]

    def __str__(self) -> str:
        return f"{self.name} ({self.app_id})"


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    DEVELOPER = "developer", _("Developer")
    FINANCE = "finance", _("Finance")
    VIEWER = "viewer", _("Viewer")


class Member(models.Model):
    """A login's place in one account. Sub-accounts (子账号) are members whose role is not owner."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=20, choices=Role.choices)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=models.Q(role="owner"),
                                    name="one_owner_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} @ {self.account_id} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class CredentialStatus(models.TextChoices):
    ENABLED = "enabled", pgettext_lazy("key status", "Enabled")
    DISABLED = "disabled", pgettext_lazy("key status", "Disabled")


class CredentialAction(models.TextChoices):
    ENABLE = "enable", pgettext_lazy("action", "Enable")
    DISABLE = "disable", pgettext_lazy("action", "Disable")


# docs/state-machines.md: a disabled key signs nothing; only a disabled key may be deleted.
CREDENTIAL_TRANSITIONS: TransitionTable[str, str] = TransitionTable(_("API key status"), {
    (CredentialStatus.ENABLED, CredentialAction.DISABLE): CredentialStatus.DISABLED,
    (CredentialStatus.DISABLED, CredentialAction.ENABLE): CredentialStatus.ENABLED,
})


class ApiCredential(models.Model):
    """A SecretId/SecretKey pair. The key is kept encrypted: TC3 needs it back to verify."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="credentials")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="credentials")
    secret_id = models.CharField(max_length=64, unique=True)
    secret_key_encrypted = models.TextField()
    description = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=CredentialStatus.choices, default=CredentialStatus.ENABLED)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.secret_id


class AuditAction(models.TextChoices):
    """Every action the audit log records, across all apps, with its label in both languages."""

    ACCOUNT_CREATE = "account.create", _("Account opened")
    ACCOUNT_SIGNUP = "account.signup", _("Account signed up")
    ACCOUNT_EMAIL_VERIFY = "account.email_verify", _("Email verified")
    ACCOUNT_SERVICE = "account.service", _("Service activated")
    ACCOUNT_STATUS = "account.status", _("Account status changed")
    ACCOUNT_PROFILE = "account.profile", _("Account profile edited")
    MEMBER_CREATE = "member.create", _("Sub-account created")
    MEMBER_UPDATE = "member.update", _("Sub-account edited")
    MEMBER_STATUS = "member.status", _("Sub-account enabled or disabled")
    MEMBER_PASSWORD = "member.password", _("Sub-account password reset")
    MEMBER_DELETE = "member.delete", _("Sub-account removed")
    CREDENTIAL_CREATE = "credential.create", _("API key created")
    CREDENTIAL_STATUS = "credential.status", _("API key enabled or disabled")
    CREDENTIAL_DELETE = "credential.delete", _("API key deleted")
    USER_PASSWORD_CHANGE = "user.password_change", _("Own password changed")
    USER_PASSWORD_RESET = "user.password_reset", _("Password reset by mail")
    USER_UNLOCK = "user.unlock", _("Sign-in unlocked by an operator")
    MFA_ENROL = "mfa.enrol", _("Two-step verification turned on")
    MFA_USE = "mfa.use", _("Two-step verification passed")
    MFA_CODES = "mfa.codes", _("Recovery codes regenerated")
    MFA_RESET = "mfa.reset", _("Two-step verification reset")
    INVITATION_CREATE = "invitation.create", _("Invitation created")
    INVITATION_REVOKE = "invitation.revoke", _("Invitation withdrawn")
    INVITATION_USE = "invitation.use", _("Invitation used")
    PLATFORM_SETTINGS = "platform.settings", _("Sign-up settings changed")
    CAMPAIGN_CREATE = "campaign.create", _("Campaign created")
    CAMPAIGN_RENAME = "campaign.rename", _("Campaign renamed")
    CAMPAIGN_VERSION = "campaign.version", _("Algorithm version switched")
    CAMPAIGN_DEGREES = "campaign.degrees", _("Campaign degrees changed")
    CAMPAIGN_STATUS = "campaign.status", _("Campaign enabled or disabled")
    CAMPAIGN_DELETE = "campaign.delete", _("Campaign deleted")
    MATERIAL_CREATE = "material.create", _("Material uploaded")
    MATERIAL_RENAME = "material.rename", _("Material renamed")
    MATERIAL_DEGREES = "material.degrees", _("Material degrees changed")
    MATERIAL_DELETE = "material.delete", _("Material deleted")
    MATERIAL_PREPROCESS = "material.preprocess", _("Video preprocessing")
    MATERIAL_REVIEW_MACHINE = "material.review.machine", _("Machine review")
    MATERIAL_REVIEW_MANUAL = "material.review.manual", _("Manual review")
    MATERIAL_APPEAL = "material.appeal", _("Appeal sent")
    MATERIAL_REVIEW_APPEAL = "material.review.appeal", _("Appeal decided")
    MATERIAL_REVIEW_RECHECK = "material.review.recheck", _("Back to review: matches a later gallery entry")
    MATERIAL_PROOF = "material.proof", _("Copyright proof uploaded")
    MATERIAL_QUOTA_ADD = "material_quota.add", _("Material quota added")
    GALLERY_CREATE = "gallery.create", _("Public figure added")
    GALLERY_PHOTO = "gallery.photo", _("Public figure photo added")
    GALLERY_DELETE = "gallery.delete", _("Public figure removed")
    PROTECTED_IMAGE_CREATE = "protected_image.create", _("Protected image added")
    PROTECTED_IMAGE_DELETE = "protected_image.delete", _("Protected image removed")
    BILLING_ORDER = "billing.order", _("Order paid")
    BILLING_TOP_UP = "billing.top_up", _("Balance topped up")
    BILLING_REVERSAL = "billing.reversal", _("Top-up reversed")
    BILLING_MODE = "billing.mode", _("Billing mode changed")
    BILLING_BILL_CLOSE = "billing.bill_close", _("Monthly bill closed")
    BILLING_BILL_PAY = "billing.bill_pay", _("Bill paid")
    BILLING_PRICE = "billing.price", _("Price changed")
    BILLING_INVOICE_REQUEST = "billing.invoice_request", _("Invoice requested")
    BILLING_INVOICE_ISSUE = "billing.invoice_issue", _("Invoice issued")
    BILLING_INVOICE_REJECT = "billing.invoice_reject", _("Invoice request rejected")
    BILLING_PAYMENT_SUBMIT = "billing.payment_submit", _("Remittance submitted")
    BILLING_PAYMENT_CONFIRM = "billing.payment_confirm", _("Remittance confirmed and credited")
    BILLING_PAYMENT_REJECT = "billing.payment_reject", _("Remittance rejected")
    BILLING_SELLER_UPDATE = "billing.seller_update", _("Seller details changed")
    ULTRA_ACCESS = "ultra.access", _("FuseFaceUltra turned on or off")
    ULTRA_TEMPLATE_REFUSED = "ultra.template_refused", _("FuseFaceUltra template refused")


class AuditEvent(models.Model):
    """Who did what to which object, from which state to which, and why. Append-only."""

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, choices=AuditAction.choices)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"])]
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id} {self.from_state}→{self.to_state}"
