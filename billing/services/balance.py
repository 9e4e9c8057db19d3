"""The operators' side of the balance: top-ups (which pay unpaid bills), and reversing a wrong top-up."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import (
    Bill,
    BillStatus,
    Book,
    EntryReason,
    LedgerEntry,
)
from billing.services.arrears import arrears_lift
from billing.services.bills import bill_pay_locked
from billing.services.ledger import balance_change, profile_locked
from console.clock import now_or
from console.models import Account, AuditAction
from console.services import audit_record


def balance_top_up(*, account: Account, amount_fen: int, actor: User | None, note: str,
                   now: datetime | None = None) -> LedgerEntry:
    """Operators: add money to an account's balance; unpaid bills are then paid from it, oldest first."""
    now = now_or(now)
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationError(_("Enter a positive amount."), code="invalid")
    if not note.strip():
        raise ValidationError(_("Write a note saying where the money came from (e.g. the bank transfer number)."),
                              code="invalid")
    with transaction.atomic():
        profile = profile_locked(account)
        entry = balance_change(profile=profile, delta=amount_fen, reason=EntryReason.TOPUP, now=now, actor=actor,
                               note=note.strip())
        audit_record(actor=actor, account=account, action=AuditAction.BILLING_TOP_UP, target_type="account",
                     target_id=account.id, reason=note.strip(), data={"amount_fen": amount_fen})
        for bill in Bill.objects.filter(account=account, status=BillStatus.UNPAID).order_by("month"):
            if profile.balance_fen < bill.amount_fen:
                break
            bill_pay_locked(profile=profile, bill=bill, actor=actor, now=now)
    arrears_lift(account=account, now=now)
    return entry


def ledger_reverse(*, entry: LedgerEntry, actor: User | None, reason: str,
                   now: datetime | None = None) -> LedgerEntry:
    """Undo a balance entry (a top-up typed wrong) by appending its opposite; never edits the row."""
    now = now_or(now)
    if entry.book != Book.BALANCE or entry.reason != EntryReason.TOPUP:
        raise ValidationError(_("Only top-ups can be reversed here."), code="invalid")
    if not reason.strip():
        raise ValidationError(_("Say why the entry is reversed."), code="invalid")
    with transaction.atomic():
        profile = profile_locked(entry.account)
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise ValidationError(_("This entry has already been reversed."), code="invalid")
        if profile.balance_fen < entry.delta:
            raise ValidationError(_("The balance is lower than the top-up: it has been spent already."),
                                  code="invalid")
        reversal = balance_change(profile=profile, delta=-entry.delta, reason=EntryReason.REVERSAL, now=now,
                                  actor=actor, note=reason.strip(), reverses=entry)
        audit_record(actor=actor, account=entry.account, action=AuditAction.BILLING_REVERSAL,
                     target_type="ledger_entry",
                     target_id=entry.id, reason=reason.strip(), data={"amount_fen": entry.delta})
    return reversal
