"""Invoices (发票): requested by the owner or finance for paid amounts, issued or rejected by operators."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from billing import clock
from billing.models import (
    INVOICE_TRANSITIONS,
    Bill,
    BillStatus,
    Invoice,
    InvoiceAction,
    Order,
)
from billing.services.ledger import profile_locked
from console.clock import now_or
from console.models import Account, AuditAction
from console.services import audit_record


def invoice_request(*, account: Account, actor: User | None, title: str, tax_id: str, email: str,
                    now: datetime | None = None) -> Invoice:
    """Request an invoice for every paid amount not invoiced yet. Each order and bill is claimed
    with a compare-and-swap on ``invoice IS NULL``, so no amount is ever invoiced twice."""
    now = now_or(now)
    title, tax_id, email = title.strip(), tax_id.strip(), email.strip()
    if not title or not tax_id or not email:
        raise ValidationError(_("Enter the invoice title, the tax id and an email address."), code="invalid")
    with transaction.atomic():
        profile_locked(account)
        orders = list(Order.objects.filter(account=account, invoice__isnull=True, amount_fen__gt=0)
                      .values_list("id", "amount_fen"))
        bills = list(Bill.objects.filter(account=account, invoice__isnull=True, status=BillStatus.PAID,
                                         amount_fen__gt=0).values_list("id", "amount_fen"))
        amount = sum(a for _i, a in orders) + sum(a for _i, a in bills)
        if amount <= 0:
            raise ValidationError(_("There is no paid amount left to invoice."), code="nothing")
        invoice = Invoice.objects.create(account=account, title=title[:100], tax_id=tax_id[:30], email=email,
                                         amount_fen=amount, requested_by=actor, created_at=now)
        order_ids, bill_ids = [i for i, _a in orders], [i for i, _a in bills]
        if (Order.objects.filter(id__in=order_ids, invoice__isnull=True).update(invoice=invoice) != len(order_ids)
                or Bill.objects.filter(id__in=bill_ids, invoice__isnull=True).update(invoice=invoice)
                != len(bill_ids)):
            raise ValidationError(_("Another invoice request took some of these amounts; reload and try again."),
                                  code="conflict")
        audit_record(actor=actor, account=account, action=AuditAction.BILLING_INVOICE_REQUEST, target_type="invoice",
                     target_id=invoice.id, to_state=invoice.status, data={"amount_fen": amount})
    return invoice


def invoice_issue(*, invoice_id: int, actor: User | None, now: datetime | None = None) -> Invoice:
    """Operators: issue a requested invoice and store its PDF."""
    from billing.pdf import invoice_pdf

    now = now_or(now)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("account").get(id=invoice_id)
        old = invoice.status
        new = INVOICE_TRANSITIONS.target(old, InvoiceAction.ISSUE,
                                         refused=_("This invoice is not waiting to be issued."))
        number = f"{clock.timezone.localtime(now):%Y%m%d}{invoice.id:08d}"
        pdf = invoice_pdf(invoice=invoice, number=number, issued_at=now)
        name = default_storage.save(f"invoices/{invoice.account_id}/{number}-{secrets.token_hex(8)}.pdf",
                                    ContentFile(pdf))
        changed = Invoice.objects.filter(id=invoice.id, status=old).update(
            status=new, number=number, pdf_name=name, issued_by=actor, issued_at=now)
        if changed != 1:
            raise ValidationError(_("The invoice changed meanwhile; reload and try again."), code="conflict")
        audit_record(actor=actor, account=invoice.account, action=AuditAction.BILLING_INVOICE_ISSUE,
                     target_type="invoice",
                     target_id=invoice.id, from_state=old, to_state=new)
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
        Order.objects.filter(invoice=invoice).update(invoice=None)
        Bill.objects.filter(invoice=invoice).update(invoice=None)
        audit_record(actor=actor, account=invoice.account, action=AuditAction.BILLING_INVOICE_REJECT,
                     target_type="invoice",
                     target_id=invoice.id, from_state=old, to_state=new, reason=reason.strip())
    invoice.refresh_from_db()
    return invoice
