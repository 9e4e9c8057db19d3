"""Invoices (发票): requested for chosen paid orders and bills with the buyer's details (专票: address,
phone, bank, account), issued by an operator as a PDF with the seller, the tax split and the total in
capitals; never the same amount twice."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from billing.models import Invoice, InvoiceLine, InvoiceStatus, Order
from billing.services import invoice_issue, invoice_reject, invoice_request, order_create
from tests.billing.conftest import BUYER_TAX_ID, top_up
from tests.conftest import login

SPECIAL = {"buyer_address": "北京市海淀区中关村大街 1 号", "buyer_phone": "010-87654321",
           "buyer_bank": "工商银行北京分行", "buyer_bank_account": "0200 0000 0000 1234"}


@pytest.fixture
def paid(alice, operator):
    top_up(alice.account, 300_000, operator)
    qps = order_create(account=alice.account, price_code="qps_10", quantity=1, actor=alice.owner.user)
    quota = order_create(account=alice.account, price_code="material_quota_10", quantity=2, actor=alice.owner.user)
    return qps, quota


def _form(**over):
    data = {"kind": "normal", "title": "Alice 科技有限公司", "tax_id": BUYER_TAX_ID, "email": "fin@alice.example",
            "buyer_address": "", "buyer_phone": "", "buyer_bank": "", "buyer_bank_account": ""}
    data.update(over)
    return data


def _request(client, **over):
    return client.post(reverse("billing:invoices"), _form(**over))


def _pdf_text(invoice) -> str:
    from django.core.files.storage import default_storage

    with default_storage.open(invoice.pdf_name, "rb") as fh:
        reader = PdfReader(io.BytesIO(fh.read()))
    # pypdf reads fpdf2's two-byte CID codes with a NUL before each character; the text is otherwise whole.
    return "\n".join(page.extract_text() for page in reader.pages).replace("\x00", "")


def test_it_requests_an_invoice_for_the_chosen_orders_only(alice, paid):
    qps, quota = paid
    response = _request(login(alice.finance), orders=[str(qps.id)])
    assert response.status_code == 302
    invoice = Invoice.objects.get(account=alice.account)
    assert invoice.amount_fen == qps.amount_fen and invoice.status == InvoiceStatus.REQUESTED
    assert [line.order_id for line in invoice.lines.all()] == [qps.id]
    page = login(alice.finance).get(reverse("billing:invoices"))
    assert page.context["invoiceable"] == quota.amount_fen
    assert [value for value, _label in page.context["form"].fields["orders"].choices] == [str(quota.id)]


def test_it_refuses_a_tax_id_whose_check_character_is_wrong(alice, paid):
    qps, _quota = paid
    response = _request(login(alice.owner), tax_id="91310000MA1234567X", orders=[str(qps.id)])
    assert response.status_code == 200
    assert "统一社会信用代码" in str(response.context["form"].errors["tax_id"])
    assert not Invoice.objects.exists()
    with pytest.raises(ValidationError):
        invoice_request(account=alice.account, actor=None, kind="normal", title="A", tax_id="1234",
                        email="a@example.com")


def test_it_asks_a_special_invoice_for_the_buyers_address_phone_bank_and_account(alice, paid):
    qps, _quota = paid
    response = _request(login(alice.owner), kind="special", orders=[str(qps.id)])
    errors = response.context["form"].errors
    assert {"buyer_address", "buyer_phone", "buyer_bank", "buyer_bank_account"} <= set(errors)
    assert not Invoice.objects.exists()
    assert _request(login(alice.owner), kind="special", orders=[str(qps.id)], **SPECIAL).status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.kind == "special" and invoice.buyer_bank_account == "0200000000001234"


def test_it_never_invoices_an_amount_twice(alice, paid):
    qps, _quota = paid
    invoice = invoice_request(account=alice.account, actor=None, kind="normal", title="A", tax_id=BUYER_TAX_ID,
                              email="a@example.com")
    with pytest.raises(ValidationError):
        invoice_request(account=alice.account, actor=None, kind="normal", title="A", tax_id=BUYER_TAX_ID,
                        email="a@example.com")
    with pytest.raises(ValidationError):  # naming an order already invoiced is refused too
        invoice_request(account=alice.account, actor=None, kind="normal", title="A", tax_id=BUYER_TAX_ID,
                        email="a@example.com", order_ids=[qps.id])
    # The database itself refuses a second live line for one order, whatever code tries it.
    other = Invoice.objects.create(account=alice.account, title="B", tax_id=BUYER_TAX_ID, email="b@example.com",
                                   amount_fen=qps.amount_fen, created_at=invoice.created_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(invoice=other, order=qps, amount_fen=qps.amount_fen)


def test_it_makes_rejected_amounts_invoiceable_again(alice, paid, operator):
    invoice = invoice_request(account=alice.account, actor=None, kind="normal", title="A", tax_id=BUYER_TAX_ID,
                              email="a@example.com")
    invoice_reject(invoice_id=invoice.id, actor=operator, reason="抬头有误")
    again = invoice_request(account=alice.account, actor=None, kind="normal", title="B", tax_id=BUYER_TAX_ID,
                            email="a@example.com")
    assert again.amount_fen == sum(o.amount_fen for o in paid)
    assert InvoiceLine.objects.filter(invoice=invoice, released=True).count() == 2


def test_it_issues_a_special_invoice_whose_pdf_carries_seller_buyer_and_tax_lines(alice, bob, paid, operator,
                                                                                  seller):
    _request(login(alice.owner), kind="special", orders=[str(o.id) for o in paid], **SPECIAL)
    invoice = Invoice.objects.get()
    ops = login(operator)
    assert BUYER_TAX_ID in ops.get(reverse("billing:operator_invoices")).content.decode()
    ops.post(reverse("billing:operator_invoice_issue", args=[invoice.id]))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number
    # 1,200.00 yuan including 6 %: 1,132.08 without tax, 67.92 tax.
    assert (invoice.amount_fen, invoice.net_fen, invoice.tax_fen, invoice.tax_rate_bp) == (120_000, 113_208, 6_792, 600)
    text = _pdf_text(invoice)
    for expected in ("增值税专用发票", invoice.number, "融合科技有限公司", "91350100M000100Y43", "Alice 科技有限公司",
                     BUYER_TAX_ID, "工商银行北京分行", "1,132.08", "67.92", "6%", "¥1,200.00", "壹仟贰佰元整",
                     *[o.number for o in paid]):
        assert expected in text, expected
    response = login(alice.finance).get(reverse("billing:invoice_pdf", args=[invoice.id]))
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert login(bob.owner).get(reverse("billing:invoice_pdf", args=[invoice.id])).status_code == 404
    with pytest.raises(ValidationError):
        invoice_issue(invoice_id=invoice.id, actor=operator)


def test_it_will_not_issue_before_the_seller_is_entered(alice, paid, operator):
    invoice = invoice_request(account=alice.account, actor=None, kind="normal", title="A", tax_id=BUYER_TAX_ID,
                              email="a@example.com")
    with pytest.raises(ValidationError, match=r"销售方|seller"):
        invoice_issue(invoice_id=invoice.id, actor=operator)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REQUESTED and not invoice.pdf_name


def test_it_shows_the_invoice_number_in_the_orders_csv(alice, paid, operator, seller):
    qps, quota = paid
    invoice = invoice_request(account=alice.account, actor=None, kind="normal", title="A", tax_id=BUYER_TAX_ID,
                              email="a@example.com", order_ids=[qps.id])
    invoice = invoice_issue(invoice_id=invoice.id, actor=operator)
    csv = login(alice.owner).get(reverse("billing:orders") + "?format=csv").content.decode("utf-8-sig")
    rows = {line.split(",")[0]: line for line in csv.splitlines()[1:]}
    assert rows[qps.number].endswith(invoice.number)
    assert rows[quota.number].endswith(",")  # not invoiced: empty, never an internal id


@pytest.mark.parametrize("role,status", [("owner", 200), ("finance", 200), ("admin", 403), ("developer", 403),
                                         ("viewer", 403)])
def test_it_lets_only_owner_and_finance_request(alice, paid, role, status):
    client = login(alice.member(role))
    assert client.get(reverse("billing:invoices")).status_code == status
    response = _request(client, orders=[str(o.id) for o in paid])
    if status == 200:
        assert response.status_code == 302
        assert Invoice.objects.get(account=alice.account).amount_fen == sum(o.amount_fen for o in paid)
    else:
        assert response.status_code == 403
        assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()


def test_it_ignores_another_accounts_order_ids(alice, bob, paid, operator):
    top_up(bob.account, 200_000, operator)
    theirs = order_create(account=bob.account, price_code="qps_10", quantity=1, actor=bob.owner.user)
    with pytest.raises(ValidationError):
        invoice_request(account=alice.account, actor=None, kind="normal", title="A", tax_id=BUYER_TAX_ID,
                        email="a@example.com", order_ids=[theirs.id])
    response = _request(login(alice.owner), orders=[str(theirs.id)])
    assert response.status_code == 200 and not Invoice.objects.exists()
    assert Order.objects.get(id=theirs.id).invoice_number == ""


def test_it_keeps_customers_out_of_the_operator_pages(alice, paid):
    invoice = invoice_request(account=alice.account, actor=None, kind="normal", title="A", tax_id=BUYER_TAX_ID,
                              email="a@example.com")
    client = login(alice.owner)
    assert client.get(reverse("billing:operator_invoices")).status_code == 403
    assert client.post(reverse("billing:operator_invoice_issue", args=[invoice.id])).status_code == 403
