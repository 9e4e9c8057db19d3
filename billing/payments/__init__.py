"""Payment providers: how money reaches an account's balance (docs/billing.md, "Adding money").

A provider turns a ``Payment`` row into what the customer does next (``instructions``) and, for an
online provider, turns its server's notification into a ``ProviderNotice`` that
``billing.services.payment_confirm`` credits exactly once. The one provider shipped is ``manual``:
an offline bank remittance (线下汇款) whose voucher an operator checks against the bank statement.

Alipay or WeChat Pay plug in as one module each implementing ``PaymentProvider`` (create the trade
with the provider's SDK in ``instructions`` and send the customer to its page; verify the provider's
signature in ``notice_from`` and answer its notification URL) and one entry in ``provider_get``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from django.http import Http404, HttpRequest

if TYPE_CHECKING:
    from billing.models import Payment, SellerProfile


@dataclass(frozen=True)
class PaymentInstructions:
    """What the customer is shown or sent to after creating a payment."""

    redirect_url: str = ""  # an online provider's cashier page
    bank: dict[str, str] = field(default_factory=dict)  # an offline remittance: the account to pay into
    reference: str = ""  # what the customer writes in the transfer's remark


@dataclass(frozen=True)
class ProviderNotice:
    """A provider's word that a payment arrived: our payment number, its trade number, the amount."""

    payment_number: str
    provider_reference: str
    amount_fen: int


class PaymentProvider(Protocol):
    code: str
    confirmed_by_operator: bool  # True: an operator confirms it (offline); False: the notification does

    def instructions(self, *, payment: Payment, seller: SellerProfile) -> PaymentInstructions: ...

    def notice_from(self, request: HttpRequest) -> ProviderNotice | None:
        """The verified notification of the provider's server, or None when it does not verify."""
        ...


def provider_get(code: str) -> PaymentProvider:
    from billing.payments.manual import ManualProvider

    providers: dict[str, PaymentProvider] = {ManualProvider.code: ManualProvider()}
    try:
        return providers[code]
    except KeyError:
        raise Http404 from None
