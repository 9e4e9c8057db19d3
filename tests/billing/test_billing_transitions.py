"""Invoices and postpaid bills move only through INVOICE_TRANSITIONS and BILL_TRANSITIONS: every
(status, action) the tables do not list is refused by its service and changes nothing."""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import (
    BILL_TRANSITIONS,
    INVOICE_TRANSITIONS,
    Bill,
    BillAction,
    BillStatus,
    Invoice,
    InvoiceAction,
    InvoiceStatus,
)
from billing.services import bill_pay, invoice_issue, invoice_reject
from console.models import AuditEvent
from tests.billing.conftest import top_up

pytestmark = pytest.mark.django_db

FORBIDDEN_INVOICE = [pair for pair in itertools.product(InvoiceStatus.values, InvoiceAction.values)
                     if not INVOICE_TRANSITIONS.allows(*pair)]
FORBIDDEN_PAY = [status for status in BillStatus.values if not BILL_TRANSITIONS.allows(status, BillAction.PAY)]


@pytest.mark.parametrize(("status", "action"), FORBIDDEN_INVOICE)
def test_an_invoice_action_the_table_does_not_list_is_refused(alice, operator, status, action):
    invoice = Invoice.objects.create(account=alice.account, title="A", tax_id="1", email="a@example.com",
                                     amount_fen=100, status=status, created_at=timezone.now())
    with pytest.raises(ValidationError):
        if action == InvoiceAction.ISSUE:
            invoice_issue(invoice_id=invoice.id, actor=operator)
        else:
            invoice_reject(invoice_id=invoice.id, actor=operator, reason="抬头有误")
    assert Invoice.objects.get(id=invoice.id).status == status
    assert not AuditEvent.objects.filter(target_type="invoice").exists()


@pytest.mark.parametrize("status", FORBIDDEN_PAY)
def test_paying_a_bill_the_table_does_not_let_pay_is_refused(alice, operator, status):
    top_up(alice.account, 100_000, operator)
    bill = Bill.objects.create(account=alice.account, month=timezone.localdate().replace(day=1), calls=10,
                               amount_fen=200, status=status, created_at=timezone.now())
    with pytest.raises(ValidationError):
        bill_pay(account=alice.account, bill_id=bill.id, actor=alice.owner.user)
    assert Bill.objects.get(id=bill.id).status == status
    assert not AuditEvent.objects.filter(action="billing.bill_pay").exists()


def test_the_tables_say_what_docs_state_machines_says():
    assert INVOICE_TRANSITIONS.edges() == {("requested", "issue"): "issued", ("requested", "reject"): "rejected"}
    assert BILL_TRANSITIONS.edges() == {("open", "close"): "unpaid", ("open", "close_empty"): "paid",
                                        ("unpaid", "pay"): "paid"}
