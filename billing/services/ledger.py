"""The ledger's writing half, and the per-account lock every balance-changing service takes first.

Every change to a balance, a pack's remaining calls or a bill writes a ``LedgerEntry`` in the same
transaction, so each figure always equals the sum of its entries (``billing_check_ledger``). Per
account, the ``BillingProfile`` row is the lock: settlement, orders, top-ups, bill payment and bill
close all take it first (then packs / bills), so they serialize per account and never deadlock.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import F

from billing.models import (
    BillingProfile,
    Book,
    LedgerEntry,
)
from console.models import Account


def _actor_label(actor: User | None) -> str:
    return actor.get_username() if actor is not None and actor.is_authenticated else "system"


def entry_write(*, account: Account, book: str, reason: str, delta: int, now: datetime,
                actor: User | None = None, **links: object) -> LedgerEntry:
    """One append-only ledger row; ``links`` name the pack, bill, order, usage record or reversed entry."""
    return LedgerEntry.objects.create(account=account, book=book, reason=reason, delta=delta, created_at=now,
                                      actor_label=_actor_label(actor), **links)


def profile_locked(account: Account) -> BillingProfile:
    """The account's billing row, created on first use, locked until the transaction ends."""
    BillingProfile.objects.get_or_create(account=account)
    return BillingProfile.objects.select_for_update().get(account=account)


def balance_change(*, profile: BillingProfile, delta: int, reason: str, now: datetime,
                   actor: User | None = None, note: str = "", **links: object) -> LedgerEntry:
    """Move the balance of the locked ``profile`` by ``delta`` fen, with its ledger row."""
    entry = entry_write(account=profile.account, book=Book.BALANCE, reason=reason, delta=delta, now=now, actor=actor,
                        note=note[:200], **links)
    BillingProfile.objects.filter(id=profile.id).update(balance_fen=F("balance_fen") + delta)
    profile.balance_fen += delta
    return entry
