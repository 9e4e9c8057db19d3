"""Invoices (发票): requested by the owner or finance for chosen paid orders and bills, issued or
rejected by operators. Each covered order or bill is one ``InvoiceLine``; the database refuses a
second live line for the same one (docs/billing.md), so no amount is invoiced twice."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.amounts import tax_split
from billing.models import (
    INVOICE_TRANSITIONS,
    Invoice,
    InvoiceAction,
    InvoiceKind,
    InvoiceLine,
)
from billing.selectors import invoiceable_bills, invoiceable_orders
from billing.services.ledger import profile_locked
from billing.services.seller import seller_profile
from console.clock import now_or
from console.models import Account, AuditAction
from console.services import audit_record
from console.validators import validate_uscc


def _buyer(*, kind: str, title: str, tax_id: str, email: str, buyer_address: str, buyer_phone: str,
           buyer_bank: str, buyer_bank_account: str) -> dict[str, str]:
    """The buyer's details, cleaned, or a ValidationError naming every missing one."""
    if kind not in InvoiceKind.values:
        raise ValidationError(_("Choose the kind of invoice: VAT general or VAT special."), code="invalid")
    data = {"title": title.strip(), "email": email.strip(), "buyer_address": buyer_address.strip(),
            "buyer_phone": buyer_phone.strip(), "buyer_bank": buyer_bank.strip(),
            "buyer_bank_account": "".join(buyer_bank_account.split())}
    errors = []
    if not data["title"]:
        errors.append(_("Enter the buyer's name as registered (the invoice title)."))
    try:
        data["tax_id"] = validate_uscc(tax_id)
    except ValidationError as exc:
        errors.extend(exc.messages)
    try:
        validate_email(data["email"])
    except ValidationError:
        errors.append(_("Enter the email address the invoice goes to."))
    if kind == InvoiceKind.SPECIAL:
        for key, label in (("buyer_address", _("registered address")), ("buyer_phone", _("phone")),
                           ("buyer_bank", _("bank")), ("buyer_bank_account", _("bank account"))):
            if not data[key]:
                errors.append(_("A VAT special invoice needs the buyer's %(what)s.") % {"what": label})
    if errors:
        raise ValidationError(errors, code="invalid")
    return data


def invoice_request(*, account: Account, actor: User | None, kind: str, title: str, tax_id: str,
                    email: str, buyer_address: str = "", buyer_phone: str = "", buyer_bank: str = "",
                    buyer_bank_account: str = "", order_ids: list[int] | None = None,
                    bill_ids: list[int] | None = None, now: datetime | None = None) -> Invoice:
    """Request an invoice for the chosen paid orders and bills (None: every one not invoiced yet)."""
    now = now_or(now)
    buyer = _buyer(kind=kind, title=title, tax_id=tax_id, email=email, buyer_address=buyer_address,
                   buyer_phone=buyer_phone, buyer_bank=buyer_bank, buyer_bank_account=buyer_bank_account)
    with transaction.atomic():
        profile_locked(account)
        orders = invoiceable_orders(account)
        bills = invoiceable_bills(account)
        if order_ids is not None:
            orders = orders.filter(id__in=order_ids)
        if bill_ids is not None:
            bills = bills.filter(id__in=bill_ids)
        chosen_orders, chosen_bills = list(orders), list(bills)
        if (order_ids is not None and len(chosen_orders) != len(set(order_ids))) or \
                (bill_ids is not None and len(chosen_bills) != len(set(bill_ids))):
            raise ValidationError(_("Some of the chosen orders or bills cannot be invoiced (already invoiced, "
                                    "unpaid or not yours). Reload the page and choose again."), code="conflict")
        amount = sum(o.amount_fen for o in chosen_orders) + sum(b.amount_fen for b in chosen_bills)
        if amount <= 0:
            raise ValidationError(_("Choose at least one paid order or bill to invoice."), code="nothing")
        invoice = Invoice.objects.create(account=account, kind=kind, amount_fen=amount, requested_by=actor,
                                         created_at=now, **buyer)
        lines = [InvoiceLine(invoice=invoice, order=o, amount_fen=o.amount_fen) for o in chosen_orders]
        lines += [InvoiceLine(invoice=invoice, bill=b, amount_fen=b.amount_fen) for b in chosen_bills]
        try:
            with transaction.atomic():
                InvoiceLine.objects.bulk_create(lines)
        except IntegrityError:
            # The unique index on live lines: another request took one of these amounts first.
            raise ValidationError(_("Another invoice request took some of these amounts; reload and try again."),
                                  code="conflict") from None
        audit_record(actor=actor, account=account, action=AuditAction.BILLING_INVOICE_REQUEST, target_type="invoice",
                     target_id=invoice.id, to_state=invoice.status,
                     data={"amount_fen": amount, "kind": kind, "orders": [o.number for o in chosen_orders],
                           "bills": [f"{b.month:%Y-%m}" for b in chosen_bills]})
    return invoice


def _invoice_number(invoice: Invoice, now: datetime) -> str:
    return f"{timezone.localtime(now):%Y%m%d}{invoice.id:08d}"


def invoice_issue(*, invoice_id: int, actor: User | None, now: datetime | None = None) -> Invoice:
    """Operators: issue a requested invoice with the seller's details and tax rate of today, and store
    its PDF."""
    from billing.pdf import invoice_pdf

    now = now_or(now)
    seller = seller_profile()
    if not seller.can_issue_invoices:
        raise ValidationError(_("Enter the seller's name and taxpayer id under Billing operations → Seller "
                                "details before issuing invoices."), code="seller")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("account").get(id=invoice_id)
        old = invoice.status
        new = INVOICE_TRANSITIONS.target(old, InvoiceAction.ISSUE,
                                         refused=_("This invoice is not waiting to be issued."))
        net, tax = tax_split(invoice.amount_fen, seller.tax_rate_bp)
        invoice.number = _invoice_number(invoice, now)
        invoice.tax_rate_bp, invoice.net_fen, invoice.tax_fen = seller.tax_rate_bp, net, tax
        invoice.seller = {"name": seller.name, "tax_id": seller.tax_id, "address": seller.address,
                          "phone": seller.phone, "bank_name": seller.bank_name, "bank_account": seller.bank_account,
                          "item_name": seller.item_name}
        invoice.issued_at, invoice.issued_by = now, actor
        pdf = invoice_pdf(invoice=invoice, lines=list(invoice.lines.select_related("order", "bill")))
        name = default_storage.save(f"invoices/{invoice.account_id}/{invoice.number}-{secrets.token_hex(8)}.pdf",
                                    ContentFile(pdf))
        changed = Invoice.objects.filter(id=invoice.id, status=old).update(
            status=new, number=invoice.number, pdf_name=name, issued_by=actor, issued_at=now,
            tax_rate_bp=seller.tax_rate_bp, net_fen=net, tax_fen=tax, seller=invoice.seller)
        if changed != 1:
            raise ValidationError(_("The invoice changed meanwhile; reload and try again."), code="conflict")
        audit_record(actor=actor, account=invoice.account, action=AuditAction.BILLING_INVOICE_ISSUE,
                     target_type="invoice", target_id=invoice.id, from_state=old, to_state=new,
                     data={"number": invoice.number, "net_fen": net, "tax_fen": tax,
                           "tax_rate_bp": seller.tax_rate_bp})
    invoice.refresh_from_db()
    return invoice


def invoice_reject(*, invoice_id: int, actor: User | None, reason: str) -> Invoice:
    """Operators: refuse a request (wrong title...); its amounts become invoiceable again."""
    if not reason.strip():
        raise ValidationError(_("Say why the request is rejected, so the customer can fix it."), code="invalid")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("account").get(id=invoice_id)
        old = invoice.status
        new = INVOICE_TRANSITIONS.target(old, InvoiceAction.REJECT,
                                         refused=_("This invoice is not waiting to be issued."))
        if Invoice.objects.filter(id=invoice.id, status=old).update(status=new, note=reason.strip()[:200]) != 1:
            raise ValidationError(_("The invoice changed meanwhile; reload and try again."), code="conflict")
        InvoiceLine.objects.filter(invoice=invoice).update(released=True)
        audit_record(actor=actor, account=invoice.account, action=AuditAction.BILLING_INVOICE_REJECT,
                     target_type="invoice", target_id=invoice.id, from_state=old, to_state=new,
                     reason=reason.strip())
    invoice.refresh_from_db()
    return invoice
