"""FuseFaceUltra per account: operators turn it on and off (ULTRA_TRANSITIONS, docs/state-machines.md)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import ULTRA_TRANSITIONS, UltraAccess, UltraStatus
from console.clock import now_or
from console.models import Account, AuditAction
from console.services import audit_record


def ultra_access_set(*, account: Account, action: str, actor: User | None, reason: str = "",
                     now: datetime | None = None) -> UltraAccess:
    """Turn FuseFaceUltra on or off for ``account``: a compare-and-swap through the table, audited."""
    now = now_or(now)
    with transaction.atomic():
        access, _created = UltraAccess.objects.get_or_create(account=account,
                                                             defaults={"status": UltraStatus.OFF, "updated_at": now})
        old = access.status
        new = ULTRA_TRANSITIONS.target(old, action)
        if UltraAccess.objects.filter(id=access.id, status=old).update(status=new, updated_at=now) != 1:
            raise ValidationError(_("FuseFaceUltra was changed meanwhile; reload and try again."), code="conflict")
        audit_record(actor=actor, account=account, action=AuditAction.ULTRA_ACCESS, target_type="account",
                     target_id=account.id, from_state=old, to_state=new, reason=reason)
        access.status, access.updated_at = new, now
    return access
