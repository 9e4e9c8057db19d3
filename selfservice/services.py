"""Writes for customer self-service: sign-up, email verification, service activation (开通服务),
account profile, invitations and the operators' sign-up settings."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from billing.services import free_pack_ensure
from console.clock import now_or
from console.mail import absolute_url, mail_send_on_commit
from console.models import Account, AuditAction, Member, ServiceStatus
from console.selectors import account_owner
from console.services import account_create, audit_record
from selfservice import selectors
from selfservice.models import Invitation, PlatformSetting, SignupMode
from selfservice.tokens import TokenExpired, TokenInvalid, verification_token_make, verification_token_read

PROFILE_FIELDS = ("name", "contact_name", "contact_phone", "contact_email", "invoice_title", "tax_id")


# --- invitations --------------------------------------------------------------------------

@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str  # shown once: only its hash is stored

    @property
    def url(self) -> str:
        return absolute_url(reverse("console:signup") + "?invite=" + self.token)


def invitation_create(*, actor: User, email: str = "", note: str = "", days: int = 7,
                      now: datetime | None = None) -> NewInvitation:
    if not 1 <= days <= 90:
        raise ValidationError({"days": _("An invitation is valid for 1 to 90 days.")})
    now = now_or(now)
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            token_hash=selectors.invitation_token_hash(token), email=email.strip().lower(), note=note.strip(),
            created_by=actor, created_at=now, expires_at=now + timedelta(days=days))
        audit_record(actor=actor, account=None, action=AuditAction.INVITATION_CREATE, target_type="invitation",
                     target_id=invitation.id, to_state="valid", data={"email": invitation.email, "days": days})
    return NewInvitation(invitation=invitation, token=token)


def invitation_revoke(*, invitation: Invitation, actor: User, now: datetime | None = None) -> None:
    now = now_or(now)
    with transaction.atomic():
        changed = Invitation.objects.filter(id=invitation.id, used_at__isnull=True,
                                            revoked_at__isnull=True).update(revoked_at=now)
        if not changed:
            raise ValidationError(_("This invitation was already used or revoked."))
        audit_record(actor=actor, account=None, action=AuditAction.INVITATION_REVOKE, target_type="invitation",
                     target_id=invitation.id, from_state="valid", to_state="revoked")


def invitation_check(*, token: str, email: str = "", now: datetime | None = None) -> Invitation:
    """The valid invitation behind ``token``, or a ValidationError that says what is wrong with it."""
    now = now_or(now)
    invitation = selectors.invitation_by_token(token)
    if invitation is None:
        raise ValidationError(_("Sign-up is by invitation only, and this link is not a valid invitation. "
                                "Ask the platform operator for an invitation link."), code="invitation_missing")
    state = invitation.state(now)
    if state == "used":
        raise ValidationError(_("This invitation link has already been used. Each invitation signs up one "
                                "account; ask the platform operator for a new one."), code="invitation_used")
    if state == "revoked":
        raise ValidationError(_("This invitation link was withdrawn. Ask the platform operator for a new one."),
                              code="invitation_revoked")
    if state == "expired":
        raise ValidationError(_("This invitation link expired on %(date)s. Ask the platform operator for a new "
                                "one.") % {"date": f"{invitation.expires_at:%Y-%m-%d}"}, code="invitation_expired")
    if email and invitation.email and invitation.email != email.strip().lower():
        raise ValidationError(_("This invitation is for another email address. Sign up with the address the "
                                "invitation was sent to."), code="invitation_email")
    return invitation


# --- sign-up and verification ---------------------------------------------------------------

def verification_send(*, user: User) -> None:
    token = verification_token_make(user=user)
    mail_send_on_commit(to=[user.email], template="selfservice/mail/verify_email", context={
        "user": user, "verify_url": absolute_url(reverse("console:verify_email", kwargs={"token": token})),
    })


def _mail_already_registered(email: str) -> None:
    mail_send_on_commit(to=[email], template="selfservice/mail/already_registered", context={
        "email": email, "login_url": absolute_url(reverse("console:login")),
        "reset_url": absolute_url(reverse("console:password_reset")),
    })


@transaction.atomic
def signup_register(*, email: str, password: str, company: str, contact_name: str, contact_phone: str,
                    invitation_token: str = "", now: datetime | None = None) -> Account | None:
    """Creates the account (not yet activated) and its owner, and mails a verification link.

    An email that is already registered gets a mail saying so instead, and the caller shows the
    same page either way: sign-up cannot tell anyone whether an address has an account.
    Returns the new account, or None when nothing was created.
    """
    now = now_or(now)
    email = email.strip().lower()
    invitation = None
    if selectors.platform_settings_get().signup_mode == SignupMode.INVITATION:
        invitation = invitation_check(token=invitation_token, email=email, now=now)
    if selectors.email_registered(email):
        # Hash anyway: creating an account hashes the password, and a faster answer for a registered
        # address would tell the visitor what the page does not.
        make_password(password)
        _mail_already_registered(email)
        return None
    try:
        with transaction.atomic():
            account = account_create(name=company, owner_username=email, owner_password=password,
                                     owner_email=email, contact_name=contact_name.strip(),
                                     contact_phone=contact_phone.strip(), service_status=ServiceStatus.NOT_OPENED)
    except IntegrityError:
        # A sign-up with the same address committed between the check above and this insert.
        _mail_already_registered(email)
        return None
    if invitation is not None:
        # Single use even when two people submit the same link at once: the loser rolls back.
        used = Invitation.objects.filter(id=invitation.id, used_at__isnull=True, revoked_at__isnull=True,
                                         expires_at__gt=now).update(used_at=now, used_by=account)
        if not used:
            raise ValidationError(_("This invitation link has already been used. Each invitation signs up one "
                                    "account; ask the platform operator for a new one."), code="invitation_used")
        audit_record(actor=None, account=account, action=AuditAction.INVITATION_USE, target_type="invitation",
                     target_id=invitation.id, from_state="valid", to_state="used")
    audit_record(actor=None, account=account, action=AuditAction.ACCOUNT_SIGNUP, target_type="account",
                 target_id=account.id, to_state=ServiceStatus.NOT_OPENED,
                 data={"email": email, "invitation": invitation.id if invitation else None})
    owner = account_owner(account=account)
    assert owner is not None  # created with the account above
    verification_send(user=owner.user)
    return account


def email_verify(*, token: str, now: datetime | None = None) -> Account:
    """Marks the owner's email verified. Following the link again changes nothing."""
    now = now_or(now)
    try:
        user_id, email = verification_token_read(token)
    except TokenExpired:
        raise ValidationError(_("This verification link has expired. Sign in and send yourself a new one from "
                                "the activation page."), code="expired")
    except TokenInvalid:
        raise ValidationError(_("This verification link is not valid. Copy the whole link from the mail, or sign "
                                "in and send yourself a new one."), code="invalid")
    member = Member.objects.select_related("user", "account").filter(user_id=user_id).first()
    if member is None or not member.is_owner or member.user.email.lower() != email:
        raise ValidationError(_("This verification link is not valid. Copy the whole link from the mail, or sign "
                                "in and send yourself a new one."), code="invalid")
    account = member.account
    with transaction.atomic():
        changed = Account.objects.filter(id=account.id, email_verified_at__isnull=True).update(
            email_verified_at=now, updated_at=now)
        if changed:
            audit_record(actor=member.user, account=account, action=AuditAction.ACCOUNT_EMAIL_VERIFY,
                         target_type="account",
                         target_id=account.id, from_state="unverified", to_state="verified", data={"email": email})
    account.refresh_from_db()
    return account


def password_reset_audit(*, user: User) -> None:
    """Records a password set through a mailed reset link (the caller's transaction saves it)."""
    member = Member.objects.select_related("account").filter(user=user).first()
    audit_record(actor=user, account=member.account if member else None, action=AuditAction.USER_PASSWORD_RESET,
                 target_type="user", target_id=user.pk)


# --- service activation (开通服务) ------------------------------------------------------------

def service_activate(*, account: Account, actor: User, agreement_accepted: bool,
                     now: datetime | None = None) -> Account:
    """not_opened → opened, granting this month's free pack, in one transaction: a failure in the grant
    leaves the account not activated, so the owner can simply try again."""
    now = now_or(now)
    member = Member.objects.filter(user=actor, account=account).first()
    if member is None or not member.is_owner:
        raise PermissionDenied(_("Only the account owner can activate the service."))
    if not agreement_accepted:
        raise ValidationError(_("Read and accept the service agreement to activate the service."),
                              code="agreement")
    account.refresh_from_db()
    if account.email_verified_at is None:
        raise ValidationError(_("Verify your email first: open the link we mailed you, or send it again below."),
                              code="unverified")
    with transaction.atomic():
        changed = Account.objects.filter(id=account.id, service_status=ServiceStatus.NOT_OPENED).update(
            service_status=ServiceStatus.OPENED, service_opened_at=now, updated_at=now)
        if not changed:
            raise ValidationError(_("The service is already activated for this account."), code="already")
        audit_record(actor=actor, account=account, action=AuditAction.ACCOUNT_SERVICE, target_type="account",
                     target_id=account.id, from_state=ServiceStatus.NOT_OPENED, to_state=ServiceStatus.OPENED,
                     reason="service agreement accepted")
        free_pack_ensure(account=account, now=now)
    account.refresh_from_db()
    return account


# --- profile ------------------------------------------------------------------------------------

def profile_update(*, account: Account, actor: User, name: str, contact_name: str = "",
                   contact_phone: str = "", contact_email: str = "", invoice_title: str = "",
                   tax_id: str = "") -> Account:
    """The owner's company and contact details; the audit row records each changed field."""
    new = {"name": name.strip(), "contact_name": contact_name.strip(), "contact_phone": contact_phone.strip(),
           "contact_email": contact_email.strip().lower(), "invoice_title": invoice_title.strip(),
           "tax_id": tax_id.strip().upper()}
    if not new["name"]:
        raise ValidationError({"name": _("Enter the company name.")})
    with transaction.atomic():
        current = Account.objects.select_for_update().get(id=account.id)
        changes = {f: {"from": getattr(current, f), "to": new[f]} for f in PROFILE_FIELDS
                   if getattr(current, f) != new[f]}
        if changes:
            for field in changes:
                setattr(current, field, new[field])
            current.save(update_fields=[*changes, "updated_at"])
            audit_record(actor=actor, account=account, action=AuditAction.ACCOUNT_PROFILE, target_type="account",
                         target_id=account.id, data={"changes": changes})
    for field in PROFILE_FIELDS:
        setattr(account, field, new[field])
    return account


# --- operators' settings -----------------------------------------------------------------------

def platform_settings_update(*, actor: User, signup_mode: str, filing_algorithm_name: str = "",
                             filing_number: str = "", filing_provider: str = "") -> PlatformSetting:
    if signup_mode not in SignupMode.values:
        raise ValidationError({"signup_mode": _("Choose open sign-up or invitation only.")})
    with transaction.atomic():
        setting = selectors.platform_settings_get()
        setting = PlatformSetting.objects.select_for_update().get(id=setting.id)
        old_mode = setting.signup_mode
        setting.signup_mode = signup_mode
        setting.filing_algorithm_name = filing_algorithm_name.strip()
        setting.filing_number = filing_number.strip()
        setting.filing_provider = filing_provider.strip()
        setting.save()
        audit_record(actor=actor, account=None, action=AuditAction.PLATFORM_SETTINGS, target_type="platform",
                     target_id=setting.id, from_state=old_mode, to_state=signup_mode,
                     data={"filing_algorithm_name": setting.filing_algorithm_name,
                           "filing_number": setting.filing_number, "filing_provider": setting.filing_provider})
    return setting
