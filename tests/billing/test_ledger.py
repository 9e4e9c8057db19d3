"""The ledger is append-only in the database itself, whatever code path tries to change it."""

import pytest
from django.db import DatabaseError, transaction

from billing.models import LedgerEntry
from billing.selectors import balance_fen
from tests.billing.conftest import top_up


def test_it_refuses_bulk_updates_and_deletes_of_ledger_entries(alice, operator):
    top_up(alice.account, 5_000, operator)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(account=alice.account).update(delta=1_000_000)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(account=alice.account).delete()
    entry = LedgerEntry.objects.get(account=alice.account)
    assert entry.delta == 5_000 and balance_fen(account=alice.account) == 5_000


def test_it_still_appends(alice, operator):
    top_up(alice.account, 100, operator)
    top_up(alice.account, 200, operator)
    assert LedgerEntry.objects.filter(account=alice.account).count() == 2
