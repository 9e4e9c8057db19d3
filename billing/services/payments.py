"""Money reaching the balance through a payment provider (billing/payments/): an offline remittance
(线下汇款) submitted with its voucher and confirmed or rejected by an operator, or, with an online
provider, confirmed by its notification. Confirmation credits the balance exactly once: a
compare-and-swap on the payment's status under the account's billing lock, the ledger entry linked
one-to-one, and a provider's trade number accepted once (database constraints)."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import notices
from billing.models import (
    PAYMENT_TRANSITIONS,
    Bill,
    BillStatus,
    EntryReason,
    Payment,
    PaymentAction,
    PaymentStatus,
)
from billing.services.arrears import arrears_lift
from billing.services.bills import bill_pay_locked
from billing.services.ledger import balance_change, profile_locked
from billing.services.seller import seller_profile
from console.clock import now_or
from console.models import Account, AccountStatus, AuditAction
from console.services import audit_record
from materials.uploads import clean_proof_file, stored_name

MAX_PAYMENT_FEN = 100_000_000_00  # 100 million yuan: a typo guard, far above any order
MAX_TRANSFER_AGE_DAYS = 366


def _payment_number(now: datetime) -> str:
    return f"P{timezone.localtime(now):%Y%m%d%H%M%S}{secrets.randbelow(10**4):04d}"


def remittance_submit(*, account: Account, actor: User | None, amount_fen: int, transfer_date: date,
                      payer_name: str, bank_reference: str = "", voucher: bytes,
                      now: datetime | None = None) -> Payment:
    """The customer: an offline bank transfer made to the seller's account, with its voucher (a
    screenshot, photo or PDF of the transfer). Waits for an operator; nothing is credited yet."""
    now = now_or(now)
    errors = []
    if not isinstance(amount_fen, int) or not 0 < amount_fen <= MAX_PAYMENT_FEN:
        errors.append(_("Enter the amount transferred, more than ¥0.00."))
    today = timezone.localtime(now).date()
    if transfer_date > today:
        errors.append(_("The transfer date cannot be in the future."))
    elif (today - transfer_date).days > MAX_TRANSFER_AGE_DAYS:
        errors.append(_("The transfer is more than a year old; contact the platform operator."))
    if not payer_name.strip():
        errors.append(_("Enter the name of the account the money was sent from."))
    if not seller_profile().can_receive_remittances:
        errors.append(_("The platform has not entered its bank account yet; contact the platform operator."))
    try:
        clean = clean_proof_file(voucher)
    except ValidationError as exc:
        errors.extend(exc.messages)
        clean = None
    if errors or clean is None:
        raise ValidationError(errors, code="invalid")
    if Account.objects.filter(id=account.id, status=AccountStatus.STOPPED).exists():
        raise ValidationError(_("This account is stopped; contact the platform operator."), code="stopped")
    name = default_storage.save(stored_name(f"payments/{account.app_id}", clean.extension), ContentFile(clean.data))
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                account=account, number=_payment_number(now), provider="manual", amount_fen=amount_fen,
                payer_name=payer_name.strip()[:100], transfer_date=transfer_date,
                bank_reference=bank_reference.strip()[:64], voucher_name=name,
                voucher_content_type=clean.content_type, created_by=actor, created_at=now)
            audit_record(actor=actor, account=account, action=AuditAction.BILLING_PAYMENT_SUBMIT, target_type="payment",
                         target_id=payment.number, to_state=payment.status,
                         data={"amount_fen": amount_fen, "provider": "manual"})
    except Exception:
        default_storage.delete(name)  # nothing half-written: no voucher without its payment
        raise
    return payment


def payment_confirm(*, payment_id: int, actor: User | None, provider_reference: str = "",
                    now: datetime | None = None) -> Payment:
    """Credit a payment's amount to the balance, then pay unpaid bills from it as a top-up does.

    Idempotent: a payment already credited is returned as it is (an operator's second click, a
    provider's repeated notification); a rejected one is refused."""
    now = now_or(now)
    with transaction.atomic():
        account = Payment.objects.select_related("account").get(id=payment_id).account
        profile = profile_locked(account)  # the per-account lock first, as every balance change
        payment = Payment.objects.select_for_update().get(id=payment_id)
        if payment.status == PaymentStatus.PAID:
            return payment
        old = payment.status
        new = PAYMENT_TRANSITIONS.target(old, PaymentAction.CONFIRM,
                                         refused=_("This payment was rejected; it cannot be credited."))
        entry = balance_change(profile=profile, delta=payment.amount_fen, reason=EntryReason.TOPUP, now=now,
                               actor=actor, note=_("Payment %(number)s") % {"number": payment.number})
        try:
            with transaction.atomic():
                changed = Payment.objects.filter(id=payment.id, status=old).update(
                    status=new, entry=entry, decided_by=actor, decided_at=now,
                    provider_reference=provider_reference[:64] or payment.provider_reference)
        except IntegrityError:
            raise ValidationError(_("This provider's trade number was already credited to another payment."),
                                  code="duplicate") from None
        if changed != 1:  # pragma: no cover - the row lock above makes this unreachable
            raise ValidationError(_("The payment changed meanwhile; reload and try again."), code="conflict")
        audit_record(actor=actor, account=account, action=AuditAction.BILLING_PAYMENT_CONFIRM, target_type="payment",
                     target_id=payment.number, from_state=old, to_state=new,
                     data={"amount_fen": payment.amount_fen, "provider": payment.provider})
        for bill in Bill.objects.filter(account=account, status=BillStatus.UNPAID).order_by("month"):
            if profile.balance_fen < bill.amount_fen:
                break
            bill_pay_locked(profile=profile, bill=bill, actor=actor, now=now)
        payment.refresh_from_db()
        notices.notify_payment_decided(payment=payment)
    arrears_lift(account=account, now=now)
    return payment


def payment_reject(*, payment_id: int, actor: User | None, reason: str,
                   now: datetime | None = None) -> Payment:
    """Operators: the money is not on the statement (or differs); the customer reads why."""
    now = now_or(now)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the remittance is rejected, so the customer can fix it."), code="invalid")
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("account").get(id=payment_id)
        old = payment.status
        new = PAYMENT_TRANSITIONS.target(old, PaymentAction.REJECT,
                                         refused=_("This payment is not waiting for confirmation."))
        if Payment.objects.filter(id=payment.id, status=old).update(
                status=new, reason=reason[:200], decided_by=actor, decided_at=now) != 1:
            raise ValidationError(_("The payment changed meanwhile; reload and try again."), code="conflict")
        audit_record(actor=actor, account=payment.account, action=AuditAction.BILLING_PAYMENT_REJECT,
                     target_type="payment", target_id=payment.number, from_state=old, to_state=new, reason=reason,
                     data={"amount_fen": payment.amount_fen})
        payment.refresh_from_db()
        notices.notify_payment_decided(payment=payment)
    return payment
