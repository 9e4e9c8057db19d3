"""Arrears: an account with a bill unpaid past its due date is moved into arrears, and out again
once no overdue bill is left."""

from __future__ import annotations

import contextlib
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from billing.models import Bill, BillStatus
from console.clock import now_or
from console.models import ACCOUNT_TRANSITIONS, Account, AccountAction
from console.services import account_transition


def arrears_check(*, now: datetime | None = None) -> int:
    """Beat: an active account with a bill unpaid past its due date goes into arrears."""
    now = now_or(now)
    marked = 0
    may_start = ACCOUNT_TRANSITIONS.sources(AccountAction.ARREARS_START)
    overdue = (Bill.objects.filter(status=BillStatus.UNPAID, due_at__lte=now, account__status__in=may_start)
               .values_list("account_id", flat=True).distinct())
    for account in Account.objects.filter(id__in=list(overdue)):
        try:
            account_transition(account=account, action=AccountAction.ARREARS_START, actor=None,
                               reason=_("A postpaid bill is unpaid past its due date."))
            marked += 1
        except ValidationError:  # its status changed meanwhile (an operator froze it): leave it
            continue
    return marked


def arrears_lift(*, account: Account, now: datetime) -> None:
    """After a payment: an account in arrears with no overdue bill left goes back to active."""
    account.refresh_from_db(fields=["status"])
    if not ACCOUNT_TRANSITIONS.allows(account.status, AccountAction.ARREARS_END):
        return
    if Bill.objects.filter(account=account, status=BillStatus.UNPAID, due_at__lte=now).exists():
        return
    with contextlib.suppress(ValidationError):  # its status changed meanwhile: leave it
        account_transition(account=account, action=AccountAction.ARREARS_END, actor=None,
                           reason=_("Overdue bills paid."))
