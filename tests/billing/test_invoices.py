"""Invoices: request (owner/finance), issue and reject (operators), the PDF, never twice."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing.models import Invoice, InvoiceStatus, Order
from billing.services import invoice_issue, invoice_reject, invoice_request, order_create
from tests.billing.conftest import top_up
from tests.conftest import login


@pytest.fixture
def paid(alice, operator):
    top_up(alice.account, 300_000, operator)
    order_create(account=alice.account, price_code="qps_10", quantity=1, actor=alice.owner.user)
    order_create(account=alice.account, price_code="material_quota_10", quantity=2, actor=alice.owner.user)
    return 120_000


def _request(client):
    return client.post(reverse("billing:invoices"), {"title": "Alice 科技有限公司", "tax_id": "91310000MA1234567X",
                                                     "email": "fin@alice.example"})


def test_it_requests_an_invoice_for_everything_paid_and_not_invoiced(alice, paid):
    client = login(alice.finance)
    assert _request(client).status_code == 302
    invoice = Invoice.objects.get(account=alice.account)
    assert invoice.amount_fen == paid and invoice.status == InvoiceStatus.REQUESTED
    assert not Order.objects.filter(invoice__isnull=True).exists()
    response = _request(client)  # nothing left: a clear refusal, no second invoice
    assert "没有可开票" in response.content.decode()
    assert Invoice.objects.count() == 1


def test_it_never_invoices_an_amount_twice(alice, paid):
    invoice_request(account=alice.account, actor=None, title="A", tax_id="1", email="a@example.com")
    with pytest.raises(ValidationError):
        invoice_request(account=alice.account, actor=None, title="A", tax_id="1", email="a@example.com")


def test_it_issues_a_pdf_that_the_customer_downloads(alice, bob, paid, operator):
    _request(login(alice.owner))
    invoice = Invoice.objects.get()
    ops = login(operator)
    assert "91310000MA1234567X" in ops.get(reverse("billing:operator_invoices")).content.decode()
    ops.post(reverse("billing:operator_invoice_issue", args=[invoice.id]))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number
    response = login(alice.finance).get(reverse("billing:invoice_pdf", args=[invoice.id]))
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert login(bob.owner).get(reverse("billing:invoice_pdf", args=[invoice.id])).status_code == 404
    with pytest.raises(ValidationError):
        invoice_issue(invoice_id=invoice.id, actor=operator)


def test_it_makes_rejected_amounts_invoiceable_again(alice, paid, operator):
    invoice = invoice_request(account=alice.account, actor=None, title="A", tax_id="1", email="a@example.com")
    invoice_reject(invoice_id=invoice.id, actor=operator, reason="抬头有误")
    again = invoice_request(account=alice.account, actor=None, title="B", tax_id="1", email="a@example.com")
    assert again.amount_fen == paid


@pytest.mark.parametrize("role,status", [("owner", 200), ("finance", 200), ("admin", 403), ("developer", 403),
                                         ("viewer", 403)])
def test_it_lets_only_owner_and_finance_request(alice, paid, role, status):
    client = login(alice.member(role))
    assert client.get(reverse("billing:invoices")).status_code == status
    response = _request(client)
    if status == 200:
        assert response.status_code == 302
        assert Invoice.objects.get(account=alice.account).amount_fen == paid
    else:
        assert response.status_code == 403
        assert not Invoice.objects.exists()
        assert not Order.objects.filter(invoice__isnull=False).exists()


def test_it_keeps_customers_out_of_the_operator_pages(alice, paid):
    invoice = invoice_request(account=alice.account, actor=None, title="A", tax_id="1", email="a@example.com")
    client = login(alice.owner)
    assert client.get(reverse("billing:operator_invoices")).status_code == 403
    assert client.post(reverse("billing:operator_invoice_issue", args=[invoice.id])).status_code == 403
