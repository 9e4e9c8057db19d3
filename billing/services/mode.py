"""The billing mode: packs and postpaid, or QPS billing while QPS bought is valid."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import (
    BILLED_ACTIONS,
    BillingMode,
    BillingProfile,
)
from billing.selectors import qps_total
from billing.services.ledger import profile_locked
from console.clock import now_or
from console.models import Account, AuditAction
from console.services import audit_record


def billing_mode_set(*, account: Account, mode: str, actor: User | None,
                     now: datetime | None = None) -> BillingProfile:
    now = now_or(now)
    if mode not in BillingMode.values:
        raise ValidationError(_("Unknown billing mode."), code="invalid")
    with transaction.atomic():
        profile = profile_locked(account)
        old = profile.mode
        if old == mode:
            return profile
        if mode == BillingMode.QPS and not any(qps_total(account=account, at=now, action=a) > 0
                                               for a in BILLED_ACTIONS):
            raise ValidationError(_("Buy QPS first: QPS billing needs QPS valid now."), code="invalid")
        if BillingProfile.objects.filter(id=profile.id, mode=old).update(mode=mode) != 1:
            raise ValidationError(_("The billing mode changed meanwhile; reload and try again."), code="conflict")
        profile.mode = mode
        audit_record(actor=actor, account=account, action=AuditAction.BILLING_MODE, target_type="account",
                     target_id=account.id, from_state=old, to_state=mode)
    return profile
