"""Mail notices about an account's billing: a monthly bill is due, a resource pack runs low.
Called from inside the service that made the change; they go out once its transaction commits."""

from django.urls import reverse

from billing.models import Bill, Pack, Payment, PaymentStatus
from console.formatting import yuan
from console.mail import absolute_url, account_notice_send


def notify_bill_issued(*, bill: Bill) -> None:
    """A monthly bill was closed and is due."""
    account_notice_send(account=bill.account, template="billing/mail/bill_issued", context={
        "bill": bill, "calls": f"{bill.calls:,}", "amount_yuan": yuan(bill.amount_fen),
        "bills_url": absolute_url(reverse("billing:bills"))})


def notify_pack_low(*, pack: Pack) -> None:
    """A resource pack fell to 10% of its calls."""
    percent = pack.remaining * 100 // pack.calls_total if pack.calls_total else 0
    account_notice_send(account=pack.account, template="billing/mail/pack_low", context={
        "pack": pack, "percent": percent, "remaining": f"{pack.remaining:,}", "total": f"{pack.calls_total:,}",
        "buy_url": absolute_url(reverse("billing:buy"))})


def notify_payment_decided(*, payment: Payment) -> None:
    """An operator confirmed (credited) or rejected a remittance."""
    account_notice_send(account=payment.account, template="billing/mail/payment_decided", context={
        "payment": payment, "amount_yuan": yuan(payment.amount_fen), "credited": payment.status == PaymentStatus.PAID,
        "payments_url": absolute_url(reverse("billing:payments"))})
