"""Writes of tenancy data: accounts, members (子账号), API credentials, the audit log."""

import secrets
import string
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Permission, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from console.crypto import encrypt_secret
from console.models import (
    ACCOUNT_TRANSITIONS,
    CREDENTIAL_TRANSITIONS,
    Account,
    ApiCredential,
    AuditAction,
    AuditEvent,
    CredentialStatus,
    Member,
    Role,
)
from console.roles import ASSIGNABLE_BY

MAX_CREDENTIALS_PER_MEMBER = 2  # as on the cloud: two keys allow rotation without downtime


def audit_record(*, actor: User | None, account: Account | None, action: AuditAction, target_type: str,
                 target_id: Any, from_state: str = "", to_state: str = "", reason: str = "",
                 data: dict | None = None) -> AuditEvent:
    """One row of the append-only audit log: who did ``action`` to which object, from which state to
    which, and why."""
    label = actor.get_username() if actor is not None and actor.is_authenticated else "system"
    return AuditEvent.objects.create(
        account=account, actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=label, action=action, target_type=target_type, target_id=str(target_id),
        from_state=from_state, to_state=to_state, reason=reason, data=data or {},
    )


def _validate_username(username: str) -> str:
    username = username.strip()
    if not username or len(username) > 150:
        raise ValidationError({"username": _("Enter a login name of at most 150 characters.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This login name is already taken.")})
    return username


@transaction.atomic
def account_create(*, name: str, owner_username: str, owner_password: str, owner_email: str = "",
                   actor: User | None = None, **profile: str) -> Account:
    """A tenant and its owner in one transaction."""
    username = _validate_username(owner_username)
    validate_password(owner_password)
    account = Account.objects.create(name=name.strip(), contact_email=owner_email, **profile)
    user = User.objects.create_user(username=username, password=owner_password, email=owner_email)
    Member.objects.create(user=user, account=account, role=Role.OWNER, display_name=name.strip()[:50])
    audit_record(actor=actor, account=account, action=AuditAction.ACCOUNT_CREATE, target_type="account",
                 target_id=account.id, to_state=account.status)
    return account


def account_transition(*, account: Account, action: str, actor: User | None, reason: str = "") -> Account:
    """Freeze, unfreeze, stop or reopen (operators), or move into or out of arrears (billing), through
    ACCOUNT_TRANSITIONS. Compare-and-swap on the old status: a concurrent change wins, this one is refused."""
    with transaction.atomic():
        old = Account.objects.filter(id=account.id).values_list("status", flat=True).first()
        if old is None:
            raise ValidationError(_("This account no longer exists."))
        new = ACCOUNT_TRANSITIONS.target(old, action)
        changed = Account.objects.filter(id=account.id, status=old).update(status=new, updated_at=timezone.now())
        if not changed:
            raise ValidationError(_("The account changed meanwhile; reload and try again."))
        audit_record(actor=actor, account=account, action=AuditAction.ACCOUNT_STATUS, target_type="account",
                     target_id=account.id, from_state=old, to_state=new, reason=reason,
                     data={"action": str(action)})
    account.status = new
    return account


def login_unlock(*, user: User, actor: User | None) -> None:
    """An operator lets a login sign in again from anywhere: every failure count is dropped."""
    from console import login_throttle
    from console.selectors import member_for_user

    login_throttle.unlock(user.get_username())
    member = member_for_user(user)
    audit_record(actor=actor, account=member.account if member else None, action=AuditAction.USER_UNLOCK,
                 target_type="user", target_id=user.pk, reason=user.get_username())


def operator_create(*, username: str, password: str, email: str = "") -> User:
    user = User.objects.create_user(username=_validate_username(username), password=password, email=email)
    user.user_permissions.add(Permission.objects.get(codename="operator", content_type__app_label="console"))
    return user


def _check_assignable(*, by: Member, role: str) -> None:
    if role not in ASSIGNABLE_BY.get(by.role, []):
        raise PermissionDenied(_("You cannot give this role."))


@transaction.atomic
def member_create(*, account: Account, by: Member, username: str, password: str, role: str,
                  display_name: str = "", email: str = "") -> Member:
    """A sub-account (子账号) in ``account``."""
    _check_assignable(by=by, role=role)
    username = _validate_username(username)
    user = User(username=username, email=email)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    member = Member.objects.create(user=user, account=account, role=role, display_name=display_name.strip())
    audit_record(actor=by.user, account=account, action=AuditAction.MEMBER_CREATE, target_type="member",
                 target_id=member.id, to_state=role)
    return member


def _check_manageable(*, by: Member, member: Member) -> Member:
    """The target as it is now, locked for this transaction, once ``by`` may change it.

    The check reads the locked row, not the caller's copy: a role given meanwhile (a developer
    just made admin) must not let an admin act on what it read a moment ago."""
    if member.account_id != by.account_id:
        raise PermissionDenied
    member = Member.objects.select_for_update().select_related("user", "account").get(id=member.id)
    if member.account_id != by.account_id:
        raise PermissionDenied
    if member.role == Role.OWNER or member.id == by.id:
        raise PermissionDenied(_("The owner and your own login cannot be changed here."))
    if by.role != Role.OWNER and member.role not in ASSIGNABLE_BY.get(by.role, []):
        raise PermissionDenied(_("You cannot change a member with this role."))
    return member


@transaction.atomic
def member_update(*, member: Member, by: Member, role: str, display_name: str, email: str = "") -> Member:
    member = _check_manageable(by=by, member=member)
    _check_assignable(by=by, role=role)
    old_role = member.role
    member.role = role
    member.display_name = display_name.strip()
    member.save(update_fields=["role", "display_name", "updated_at"])
    member.user.email = email
    member.user.save(update_fields=["email"])
    audit_record(actor=by.user, account=member.account, action=AuditAction.MEMBER_UPDATE, target_type="member",
                 target_id=member.id, from_state=old_role, to_state=role)
    return member


@transaction.atomic
def member_set_active(*, member: Member, by: Member, active: bool) -> Member:
    """Disabling blocks sign-in and every API key of the member."""
    member = _check_manageable(by=by, member=member)
    old_active = member.user.is_active
    if old_active == active:
        return member
    changed = User.objects.filter(id=member.user_id, is_active=old_active).update(is_active=active)
    if not changed:
        raise ValidationError(_("The sub-account changed meanwhile; reload and try again."))
    member.user.is_active = active
    audit_record(actor=by.user, account=member.account, action=AuditAction.MEMBER_STATUS, target_type="member",
                 target_id=member.id, from_state="active" if old_active else "disabled",
                 to_state="active" if active else "disabled")
    return member


@transaction.atomic
def member_set_password(*, member: Member, by: Member, password: str) -> None:
    member = _check_manageable(by=by, member=member)
    validate_password(password, member.user)
    member.user.set_password(password)
    member.user.save(update_fields=["password"])
    audit_record(actor=by.user, account=member.account, action=AuditAction.MEMBER_PASSWORD, target_type="member",
                 target_id=member.id)


@transaction.atomic
def member_delete(*, member: Member, by: Member) -> None:
    member = _check_manageable(by=by, member=member)
    audit_record(actor=by.user, account=member.account, action=AuditAction.MEMBER_DELETE, target_type="member",
                 target_id=member.id, from_state=member.role, data={"username": member.user.get_username()})
    member.user.delete()  # cascades to the member and its API keys


@dataclass(frozen=True)
class NewCredential:
    credential: ApiCredential
    secret_key: str  # shown once, never stored in clear


def _random_token(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def credential_create(*, member: Member, description: str = "") -> NewCredential:
    with transaction.atomic():
        # Lock the member row so two concurrent creations cannot both pass the limit.
        Member.objects.select_for_update().get(id=member.id)
        if ApiCredential.objects.filter(member=member).count() >= MAX_CREDENTIALS_PER_MEMBER:
            raise ValidationError(_("Each login may hold at most %(n)d keys; delete one first.")
                                  % {"n": MAX_CREDENTIALS_PER_MEMBER})
        secret_key = _random_token(32)
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    credential = ApiCredential.objects.create(
                        account=member.account, member=member, secret_id="AKID" + _random_token(32),
                        secret_key_encrypted=encrypt_secret(secret_key), description=description.strip()[:100],
                    )
                break
            except IntegrityError:  # a SecretId collision: astronomically rare, just draw again
                continue
        else:
            raise RuntimeError("could not draw a unique SecretId")
        audit_record(actor=member.user, account=member.account, action=AuditAction.CREDENTIAL_CREATE,
                     target_type="credential", target_id=credential.secret_id, to_state=credential.status)
    return NewCredential(credential=credential, secret_key=secret_key)


def credential_changeable_by(*, credential: ApiCredential, by: Member) -> bool:
    """Anyone may change their own keys; the owner every key of the account; an admin the keys of
    the members it may manage (never the owner's or another admin's: docs/tenancy.md)."""
    if credential.account_id != by.account_id:
        return False
    if credential.member_id == by.id or by.role == Role.OWNER:
        return True
    return by.role == Role.ADMIN and credential.member.role in ASSIGNABLE_BY[Role.ADMIN]


def _check_credential_changeable(*, credential: ApiCredential, by: Member) -> None:
    if not credential_changeable_by(credential=credential, by=by):
        raise PermissionDenied(_("You cannot change a member with this role."))


def credential_transition(*, credential: ApiCredential, by: Member, action: str) -> ApiCredential:
    """Enable or disable a key through CREDENTIAL_TRANSITIONS. Compare-and-swap on the old status: a
    concurrent change wins, this one is refused."""
    _check_credential_changeable(credential=credential, by=by)
    with transaction.atomic():
        old = credential.status
        new = CREDENTIAL_TRANSITIONS.target(old, action)
        changed = ApiCredential.objects.filter(id=credential.id, status=old).update(status=new)
        if not changed:
            raise ValidationError(_("The key changed meanwhile; reload and try again."))
        audit_record(actor=by.user, account=credential.account, action=AuditAction.CREDENTIAL_STATUS,
                     target_type="credential", target_id=credential.secret_id, from_state=old, to_state=new)
    credential.status = new
    return credential


@transaction.atomic
def credential_delete(*, credential: ApiCredential, by: Member) -> None:
    _check_credential_changeable(credential=credential, by=by)
    # Only a disabled key goes, and only if it is still disabled: a concurrent enable wins.
    deleted, _rows = ApiCredential.objects.filter(id=credential.id, status=CredentialStatus.DISABLED).delete()
    if not deleted:
        raise ValidationError(_("Disable the key before deleting it."))
    audit_record(actor=by.user, account=credential.account, action=AuditAction.CREDENTIAL_DELETE,
                 target_type="credential", target_id=credential.secret_id, from_state=CredentialStatus.DISABLED)


def credential_touch(*, credential: ApiCredential) -> None:
    """Record use; at most once a minute per key so the hot path does not write every call."""
    now = timezone.now()
    if credential.last_used_at is None or (now - credential.last_used_at).total_seconds() >= 60:
        ApiCredential.objects.filter(id=credential.id).update(last_used_at=now)
        credential.last_used_at = now
