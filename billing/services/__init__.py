"""Writes of billing (docs/billing.md), one module per concern, zulip-style:

- ``metering``: the usage record of each call, and what is billable;
- ``settlement``: each billable call settled exactly once against packs or postpaid;
- ``packs``: free packs, pack expiry;  ``orders``: purchases from the balance;
- ``balance``: operators' top-ups and reversals;  ``mode``: the billing mode;
- ``bills``: monthly postpaid bills;  ``arrears``: accounts in and out of arrears;
- ``price_list``: operators' price changes;  ``invoices``: invoice requests, issue, rejection;
- ``payments``: money reaching the balance (offline remittances, providers' payments);
- ``seller``: the platform's seller details and tax rate, printed on invoices;
- ``access``: FuseFaceUltra turned on and off per account;
- ``ledger``: the append-only ledger's writes and the per-account lock they all take.

Other apps and the views call the names below.
"""

from billing.services.access import ultra_access_set
from billing.services.arrears import arrears_check
from billing.services.balance import balance_top_up, ledger_reverse
from billing.services.bills import (
    bill_close,
    bill_estimate_fen,
    bill_pay,
    bills_close,
    postpaid_amount_fen,
    postpaid_unit_price_millifen,
    ultra_unit_price_millifen,
)
from billing.services.invoices import invoice_issue, invoice_reject, invoice_request
from billing.services.metering import is_billable, usage_record_create
from billing.services.mode import billing_mode_set
from billing.services.orders import order_create, order_quote
from billing.services.packs import free_pack_ensure, free_packs_issue, packs_expire
from billing.services.payments import payment_confirm, payment_reject, remittance_submit
from billing.services.price_list import price_item_update
from billing.services.seller import seller_profile, seller_profile_update
from billing.services.settlement import usage_settle, usage_settle_pending

__all__ = [
    "arrears_check",
    "balance_top_up",
    "bill_close",
    "bill_estimate_fen",
    "bill_pay",
    "billing_mode_set",
    "bills_close",
    "free_pack_ensure",
    "free_packs_issue",
    "invoice_issue",
    "invoice_reject",
    "invoice_request",
    "is_billable",
    "ledger_reverse",
    "order_create",
    "order_quote",
    "packs_expire",
    "payment_confirm",
    "payment_reject",
    "postpaid_amount_fen",
    "postpaid_unit_price_millifen",
    "price_item_update",
    "remittance_submit",
    "seller_profile",
    "seller_profile_update",
    "ultra_access_set",
    "ultra_unit_price_millifen",
    "usage_record_create",
    "usage_settle",
    "usage_settle_pending",
]
