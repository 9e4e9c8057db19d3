"""The default price list of docs/billing.md (money in fen; postpaid unit prices in milli-fen).

The data migration seeds it; ``price_list_ensure`` seeds it again into an empty table (a database
restored without data rows, or a test database flushed between transactional tests)."""

from typing import Any

from django.db import IntegrityError, transaction

# (code, kind, name, quantity, price_fen, tier_from_calls, unit_price_millifen, sort)
DEFAULT_PRICES = [
    # Postpaid: the whole month at the tier its total reaches. 0.02 元 = 2 分 = 2000 milli-fen.
    ("postpaid_tier_1", "postpaid_tier", "后付费 ≤100万次", 0, 0, 0, 2000, 1),
    ("postpaid_tier_2", "postpaid_tier", "后付费 100万–500万次", 0, 0, 1_000_000, 1200, 2),
    ("postpaid_tier_3", "postpaid_tier", "后付费 >500万次", 0, 0, 5_000_000, 500, 3),
    # Resource packs, valid one year.
    ("pack_1m", "pack", "资源包 100万次", 1_000_000, 1_600_000, 0, 0, 1),
    ("pack_5m", "pack", "资源包 500万次", 5_000_000, 6_500_000, 0, 0, 2),
    ("pack_10m", "pack", "资源包 1000万次", 10_000_000, 8_500_000, 0, 0, 3),
    ("pack_30m", "pack", "资源包 3000万次", 30_000_000, 12_600_000, 0, 0, 4),
    # QPS in units of 10 for a month; material quota in blocks of 10 slots.
    ("qps_10", "qps", "QPS 10 并发/月", 10, 100_000, 0, 0, 1),
    ("material_quota_10", "material_quota", "素材额度 10个", 10, 10_000, 0, 0, 1),
]


def seed_prices(price_model: Any) -> None:
    """``price_model`` is PriceItem, or its historical version in a data migration."""
    for code, kind, name, quantity, price_fen, tier_from, unit_millifen, sort in DEFAULT_PRICES:
        price_model.objects.get_or_create(code=code, defaults={
            "kind": kind, "name": name, "quantity": quantity, "price_fen": price_fen,
            "tier_from_calls": tier_from, "unit_price_millifen": unit_millifen, "sort": sort})


def price_list_ensure() -> None:
    from billing.models import PriceItem

    if PriceItem.objects.exists():
        return
    try:
        with transaction.atomic():
            seed_prices(PriceItem)
    except IntegrityError:  # seeded concurrently
        pass
