"""Reads for self-service: platform settings, invitations, whether an email is registered."""

import hashlib

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from selfservice.models import Invitation, PlatformSetting

User = get_user_model()


def platform_settings_get() -> PlatformSetting:
    setting, _created = PlatformSetting.objects.get_or_create(id=1)
    return setting


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def invitation_by_token(token: str) -> Invitation | None:
    if not token:
        return None
    return Invitation.objects.filter(token_hash=invitation_token_hash(token)).first()


def invitation_list() -> QuerySet[Invitation]:
    """Operators only."""
    return Invitation.objects.select_related("created_by", "used_by").order_by("-created_at", "-id")


def email_registered(email: str) -> bool:
    email = email.strip()
    return User.objects.filter(username__iexact=email).exists() or User.objects.filter(email__iexact=email).exists()
