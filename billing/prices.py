"""The default price list of docs/billing.md (money in fen; postpaid unit prices in milli-fen).

The data migration seeds it; ``price_list_ensure`` seeds it again into an empty table (a database
restored without data rows, or a test database flushed between transactional tests)."""

from typing import Any

from django.db import IntegrityError, transaction

# (code, kind, name, quantity, price_fen, tier_from_calls, unit_price_millifen, sort[, product])
DEFAULT_PRICES: list[tuple[Any, ...]] = [
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
    # Video face fusion, by seconds of output (our defaults; docs/billing.md): postpaid 0.10 元 a second
    # (10 分 = 10,000 milli-fen), 0.06 元 above 100,000 seconds in a month; packs valid one year.
    ("video_postpaid_tier_1", "postpaid_tier", "视频融合后付费 每秒", 0, 0, 0, 10_000, 11, "video"),
    ("video_postpaid_tier_2", "postpaid_tier", "视频融合后付费 >10万秒", 0, 0, 100_000, 6_000, 12, "video"),
    ("video_pack_1k", "pack", "视频资源包 1000秒", 1_000, 8_000, 0, 0, 11, "video"),
    ("video_pack_10k", "pack", "视频资源包 1万秒", 10_000, 70_000, 0, 0, 12, "video"),
    ("video_pack_100k", "pack", "视频资源包 10万秒", 100_000, 600_000, 0, 0, 13, "video"),
    # FuseFaceUltra (图片人脸融合专业版): postpaid at one price per call (0.10 元 = 10,000 milli-fen),
    # never against FuseFace's packs; its QPS in units of 2 for a month (our defaults).
    ("ultra_call", "ultra_call", "图片人脸融合专业版 后付费 按次", 0, 0, 0, 10_000, 1),
    ("ultra_qps_2", "ultra_qps", "专业版 QPS 2 并发/月", 2, 50_000, 0, 0, 1),
]


def seed_prices(price_model: Any) -> None:
    """``price_model`` is PriceItem, or its historical version in a data migration."""
    with_product = any(f.name == "product" for f in price_model._meta.get_fields())
    for code, kind, name, quantity, price_fen, tier_from, unit_millifen, sort, *product in DEFAULT_PRICES:
        if product and not with_product:
            continue  # an earlier migration's PriceItem, before products: the video lines come later
        defaults = {"kind": kind, "name": name, "quantity": quantity, "price_fen": price_fen,
                    "tier_from_calls": tier_from, "unit_price_millifen": unit_millifen, "sort": sort}
        if with_product:
            defaults["product"] = product[0] if product else "image"
        price_model.objects.get_or_create(code=code, defaults=defaults)


def price_list_ensure() -> None:
    from billing.models import PriceItem

    if PriceItem.objects.exists():
        return
    try:
        with transaction.atomic():
            seed_prices(PriceItem)
    except IntegrityError:  # seeded concurrently
        pass
