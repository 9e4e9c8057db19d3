"""Billing's retention step (console.retention runs it; README "Retention", docs/billing.md).

The ledger, bills, orders, invoices and payments are kept forever. A usage record that money moved
on (a ledger entry points at it: a call settled from a pack or onto a bill) is kept as long as the
ledger, which the database enforces too (the entry's foreign key protects it). The others (calls not
billed, console tests, calls under the QPS mode) go ``USAGE_RECORD_RETENTION_DAYS`` after the call,
once settled.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef

from billing.models import LedgerEntry, SettledTo, UsageRecord

# What a record may have been settled to and still go: no money moved on it. A charged record never
# goes, even without its entry (the ledger check reports that one; deleting it would hide it).
UNCHARGED = (SettledTo.NOT_BILLED, SettledTo.QPS)


def usage_records_delete(*, now: datetime, batch: int) -> int:
    cutoff = now - timedelta(days=settings.USAGE_RECORD_RETENTION_DAYS)
    old = (UsageRecord.objects.filter(created_at__lt=cutoff, settled_at__isnull=False, settled_to__in=UNCHARGED)
           .exclude(Exists(LedgerEntry.objects.filter(usage=OuterRef("pk")))))
    ids = list(old.order_by("created_at").values_list("id", flat=True)[:batch])
    if not ids:
        return 0
    _, by_model = old.filter(id__in=ids).delete()
    return by_model.get(UsageRecord._meta.label, 0)
