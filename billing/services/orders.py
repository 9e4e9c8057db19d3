"""Purchases paid from the balance: resource packs, QPS for a month (FuseFace's or FuseFaceUltra's),
material quota blocks."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing import clock
from billing.models import (
    BUYABLE_KINDS,
    QPS_KIND_ACTIONS,
    BillingProfile,
    Book,
    EntryReason,
    Order,
    Pack,
    PackKind,
    PriceItem,
    PriceKind,
    QpsGrant,
)
from billing.prices import price_list_ensure
from billing.services.ledger import balance_change, entry_write, profile_locked
from console.clock import now_or
from console.formatting import yuan
from console.models import Account, AccountStatus, AuditAction
from console.services import audit_record
from materials.services import material_quota_add

MAX_ORDER_QUANTITY = 100


def _order_number(now: datetime) -> str:
    return f"{clock.timezone.localtime(now):%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


def order_quote(*, account: Account, price_code: str, quantity: int) -> tuple[PriceItem, int, int]:
    """(item, amount, balance after) for the confirmation page; raises ValidationError when unbuyable."""
    price_list_ensure()
    item = PriceItem.objects.filter(code=price_code, active=True, kind__in=BUYABLE_KINDS).first()
    if item is None:
        raise ValidationError(_("This product is not on sale; choose one from the price list."), code="invalid")
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_ORDER_QUANTITY:
        raise ValidationError(_("Enter a quantity between 1 and %(max)d.") % {"max": MAX_ORDER_QUANTITY},
                              code="invalid")
    amount = item.price_fen * quantity
    balance = BillingProfile.objects.filter(account=account).values_list("balance_fen", flat=True).first() or 0
    return item, amount, balance - amount


def order_create(*, account: Account, price_code: str, quantity: int, actor: User | None,
                 confirm_key: str = "", expected_amount_fen: int | None = None,
                 now: datetime | None = None) -> Order:
    """Buy from the balance: a resource pack, QPS for a month, or material quota blocks.

    ``confirm_key`` (the confirmation page's one-time key) makes a resubmitted confirmation return
    the order it already paid; ``expected_amount_fen`` (the amount the customer confirmed) refuses
    to charge a price changed since."""
    now = now_or(now)
    item, amount, _after = order_quote(account=account, price_code=price_code, quantity=quantity)
    with transaction.atomic():
        profile = profile_locked(account)
        if confirm_key:
            done = Order.objects.filter(account=account, confirm_key=confirm_key).first()
            if done is not None:
                return done
        # Read under the billing lock: a freeze is an operator's stop on the account, purchases included.
        if Account.objects.filter(id=account.id, status__in=[AccountStatus.FROZEN, AccountStatus.STOPPED]).exists():
            raise ValidationError(_("This account is frozen or stopped: purchases are not possible. "
                                    "Contact the platform operator."), code="account_unavailable")
        if expected_amount_fen is not None and expected_amount_fen != amount:
            raise ValidationError(
                _("The price has changed: this order now costs ¥%(amount)s. Check it and confirm again.")
                % {"amount": yuan(amount)}, code="price_changed")
        if profile.balance_fen < amount:
            raise ValidationError(
                _("Insufficient balance: this order costs ¥%(amount)s but the balance is ¥%(balance)s. "
                  "Add money by bank transfer (Billing → Add money), then buy again.")
                % {"amount": yuan(amount), "balance": yuan(profile.balance_fen)}, code="balance_insufficient")
        order = Order.objects.create(
            account=account, number=_order_number(now), kind=item.kind, price_code=item.code, item_name=item.name,
            unit_quantity=item.quantity,
            quantity=quantity, unit_price_fen=item.price_fen, amount_fen=amount, created_by=actor, created_at=now,
            confirm_key=confirm_key[:40])
        balance_change(profile=profile, delta=-amount, reason=EntryReason.ORDER, now=now, actor=actor, order=order,
                       note=f"{item.name} × {quantity}")
        if item.kind == PriceKind.PACK:
            calls = item.quantity * quantity
            pack = Pack.objects.create(account=account, kind=PackKind.PAID, product=item.product, name=item.name,
                                       calls_total=calls,
                                       remaining=calls, valid_from=now, expires_at=clock.months_later(now, 12),
                                       order=order, created_at=now)
            entry_write(account=account, book=Book.PACK, reason=EntryReason.PACK_ISSUE, delta=calls, now=now,
                        actor=actor, pack=pack, order=order)
        elif item.kind in QPS_KIND_ACTIONS:
            QpsGrant.objects.create(account=account, action=QPS_KIND_ACTIONS[item.kind], qps=item.quantity * quantity,
                                    starts_at=now, ends_at=clock.one_month_later(now), order=order, created_at=now)
        else:
            material_quota_add(account=account, blocks=quantity, actor=actor,
                               reason=_("Order %(number)s") % {"number": order.number})
        audit_record(actor=actor, account=account, action=AuditAction.BILLING_ORDER, target_type="order",
                     target_id=order.number, to_state=order.status,
                     data={"price_code": item.code, "quantity": quantity, "amount_fen": amount})
    return order
