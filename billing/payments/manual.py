"""The "manual" provider: an offline bank remittance (线下汇款). The customer transfers to the
seller's account with the payment number in the remark and uploads the voucher; an operator checks
the bank statement and confirms or rejects. There is no notification to verify."""

from __future__ import annotations

from django.http import HttpRequest

from billing.models import Payment, SellerProfile
from billing.payments import PaymentInstructions, ProviderNotice


class ManualProvider:
    code = "manual"
    confirmed_by_operator = True

    def instructions(self, *, payment: Payment, seller: SellerProfile) -> PaymentInstructions:
        return PaymentInstructions(
            bank={"name": seller.name, "bank_name": seller.bank_name, "bank_account": seller.bank_account},
            reference=payment.number)

    def notice_from(self, request: HttpRequest) -> ProviderNotice | None:
        return None
