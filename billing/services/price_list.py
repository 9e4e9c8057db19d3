"""Operators' changes to the price list (the list itself is seeded by billing/prices.py)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from billing.models import (
    PriceItem,
)
from console.models import AuditAction
from console.services import audit_record


def price_item_update(*, item: PriceItem, actor: User | None, price_fen: int, unit_price_millifen: int,
                      tier_from_calls: int, active: bool) -> PriceItem:
    if min(price_fen, unit_price_millifen, tier_from_calls) < 0:
        raise ValidationError(_("Prices and thresholds cannot be negative."), code="invalid")
    with transaction.atomic():
        old = {"price_fen": item.price_fen, "unit_price_millifen": item.unit_price_millifen,
               "tier_from_calls": item.tier_from_calls, "active": item.active}
        item.price_fen, item.unit_price_millifen = price_fen, unit_price_millifen
        item.tier_from_calls, item.active = tier_from_calls, active
        item.save(update_fields=["price_fen", "unit_price_millifen", "tier_from_calls", "active", "updated_at"])
        audit_record(actor=actor, account=None, action=AuditAction.BILLING_PRICE,
                     target_type="price", target_id=item.code,
                     data={"old": old, "new": {"price_fen": price_fen, "unit_price_millifen": unit_price_millifen,
                                               "tier_from_calls": tier_from_calls, "active": active}})
    return item
