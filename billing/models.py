"""Billing (docs/billing.md): usage records, the price list, packs, QPS, orders, monthly postpaid bills,
an append-only ledger, invoices. Money is in fen (分); postpaid unit prices in milli-fen (0.001 分)."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from console.models import Account
from console.transitions import TransitionTable

# The metered API actions that are billed, each with its own price (docs/billing.md): FuseFace (and the
# 2018 FaceFusion, metered as FuseFace) against packs and postpaid tiers; FuseFaceUltra postpaid at its
# own unit price.
FUSE_FACE = "FuseFace"
FUSE_FACE_ULTRA = "FuseFaceUltra"
BILLED_ACTIONS = (FUSE_FACE, FUSE_FACE_ULTRA)


class Product(models.TextChoices):
    """What is metered: image fusion in calls, video fusion in seconds of output (docs/billing.md)."""

    IMAGE = "image", _("Image face fusion (calls)")
    VIDEO = "video", _("Video face fusion (seconds)")


class UltraStatus(models.TextChoices):
    OFF = "off", _("Not activated")
    ON = "on", _("Activated")


class UltraAction(models.TextChoices):
    ENABLE = "enable", _("Turn on")
    DISABLE = "disable", _("Turn off")


# FuseFaceUltra per account (docs/state-machines.md): off until an operator turns it on.
ULTRA_TRANSITIONS: TransitionTable[str, str] = TransitionTable(_("FuseFaceUltra access"), {
    (UltraStatus.OFF, UltraAction.ENABLE): UltraStatus.ON,
    (UltraStatus.ON, UltraAction.DISABLE): UltraStatus.OFF,
})


class UltraAccess(models.Model):
    """Whether an account may call FuseFaceUltra and run its console test. An account without a row
    has never had it turned on: off, like FuseFace for an account that has not activated the service."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="ultra_access")
    status = models.CharField(max_length=10, choices=UltraStatus.choices, default=UltraStatus.OFF)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.account_id}: FuseFaceUltra {self.status}"


class UsageSource(models.TextChoices):
    API = "api", _("API")
    CONSOLE_TEST = "console_test", _("Console test")


class SettledTo(models.TextChoices):
    NOT_BILLED = "not_billed", _("Not billed")
    FREE_PACK = "free_pack", _("Free pack")
    PAID_PACK = "paid_pack", _("Resource pack")
    POSTPAID = "postpaid", _("Postpaid")
    QPS = "qps", _("QPS billing mode")


class UsageRecord(models.Model):
    """One metered call, keyed by its RequestId. Settlement fills ``settled_*`` exactly once."""

    request_id = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="usage_records")
    campaign_project_id = models.CharField(max_length=64, blank=True)
    material_model_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=60)
    product = models.CharField(max_length=10, choices=Product.choices, default=Product.IMAGE)
    units = models.BigIntegerField(default=1)  # calls (1) or seconds of video
    result_code = models.CharField(max_length=100, blank=True)
    latency_ms = models.IntegerField(default=0)
    billable = models.BooleanField()
    source = models.CharField(max_length=20, choices=UsageSource.choices, default=UsageSource.API)
    created_at = models.DateTimeField(db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_to = models.CharField(max_length=20, choices=SettledTo.choices, blank=True)
    pack = models.ForeignKey("Pack", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    bill = models.ForeignKey("Bill", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["settled_at", "created_at"], name="billing_usage_unsettled",
                         condition=Q(settled_at__isnull=True)),
        ]
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.result_code or 'Success'}"


class PriceKind(models.TextChoices):
    POSTPAID_TIER = "postpaid_tier", _("Postpaid tier")
    PACK = "pack", _("Resource pack")
    QPS = "qps", _("QPS")
    MATERIAL_QUOTA = "material_quota", _("Material quota")
    ULTRA_CALL = "ultra_call", _("FuseFaceUltra per call")
    ULTRA_QPS = "ultra_qps", _("FuseFaceUltra QPS")


# What an order can buy; the QPS kinds raise their action's rate limit for a month.
BUYABLE_KINDS = (PriceKind.PACK, PriceKind.QPS, PriceKind.ULTRA_QPS, PriceKind.MATERIAL_QUOTA)
QPS_KIND_ACTIONS: dict[str, str] = {PriceKind.QPS: FUSE_FACE, PriceKind.ULTRA_QPS: FUSE_FACE_ULTRA}


def calls_text(n: int) -> str:
    """A number of calls as the reader counts them: 100万 in Chinese, 1,000,000 in English."""
    if (get_language() or settings.LANGUAGE_CODE).startswith("zh") and n >= 10_000 and n % 10_000 == 0:
        return f"{n // 10_000}万"
    return f"{n:,}"


def product_name(kind: str, unit_quantity: int, product: str = "image") -> str:
    """One name per product for every page, order and PDF: "资源包 100万次" / "Resource pack, 1,000,000 calls"."""
    if kind == PriceKind.PACK and product == Product.VIDEO:
        return gettext("Video resource pack, %(n)s seconds") % {"n": calls_text(unit_quantity)}
    if kind == PriceKind.PACK:
        return gettext("Resource pack, %(n)s calls") % {"n": calls_text(unit_quantity)}
    if kind == PriceKind.QPS:
        return gettext("QPS +%(n)d for a month") % {"n": unit_quantity}
    if kind == PriceKind.MATERIAL_QUOTA:
        return gettext("Material quota +%(n)d") % {"n": unit_quantity}
    if kind == PriceKind.ULTRA_QPS:
        return gettext("FuseFaceUltra QPS +%(n)d for a month") % {"n": unit_quantity}
    if kind == PriceKind.ULTRA_CALL:
        return gettext("FuseFaceUltra, postpaid per call")
    return str(PriceKind(kind).label) if kind in PriceKind.values else kind


class PriceItem(models.Model):
    """One line of the price list; operators edit prices. Seeded by a data migration (docs/billing.md)."""

    code = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=20, choices=PriceKind.choices)
    product = models.CharField(max_length=10, choices=Product.choices, default=Product.IMAGE)
    name = models.CharField(max_length=60)
    # pack: calls in one pack; qps: QPS per unit (10); material_quota: slots per block (10)
    quantity = models.BigIntegerField(default=0)
    price_fen = models.BigIntegerField(default=0)  # packs, QPS (per unit per month), quota blocks
    tier_from_calls = models.BigIntegerField(default=0)  # postpaid tier: applies above this monthly total
    unit_price_millifen = models.BigIntegerField(default=0)  # postpaid tier, ultra_call: per call, 1/1000 fen
    active = models.BooleanField(default=True)
    sort = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "sort", "id"]

    def __str__(self) -> str:
        return self.code

    @property
    def display_name(self) -> str:
        """A name in the reader's language; ``name`` is what orders keep."""
        video = self.product == Product.VIDEO
        if self.kind == PriceKind.POSTPAID_TIER:
            if video and self.tier_from_calls:
                return gettext("Video postpaid, month above %(n)s seconds") % {"n": calls_text(self.tier_from_calls)}
            if video:
                return gettext("Video postpaid, per second")
            if self.tier_from_calls:
                return gettext("Postpaid, month above %(n)s calls") % {"n": calls_text(self.tier_from_calls)}
            return gettext("Postpaid, base tier")
        return product_name(self.kind, self.quantity, self.product)


class BillingMode(models.TextChoices):
    STANDARD = "standard", _("Packs and postpaid")
    QPS = "qps", _("QPS billing")


class BillingProfile(models.Model):
    """An account's balance and billing mode. Its row is the per-account lock of settlement and orders."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="billing")
    balance_fen = models.BigIntegerField(default=0)
    mode = models.CharField(max_length=10, choices=BillingMode.choices, default=BillingMode.STANDARD)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance_fen} fen, {self.mode}"


class PackKind(models.TextChoices):
    FREE = "free", _("Free pack")
    PAID = "paid", _("Resource pack")


class Pack(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="packs")
    kind = models.CharField(max_length=10, choices=PackKind.choices)
    product = models.CharField(max_length=10, choices=Product.choices, default=Product.IMAGE)
    name = models.CharField(max_length=60)
    calls_total = models.BigIntegerField()
    remaining = models.BigIntegerField()
    month = models.DateField(null=True, blank=True)  # free packs: the month they belong to
    valid_from = models.DateTimeField()
    expires_at = models.DateTimeField()
    expired_at = models.DateTimeField(null=True, blank=True)  # when the expiry entry zeroed it
    order = models.ForeignKey("Order", null=True, blank=True, on_delete=models.PROTECT, related_name="packs")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "month", "product"], condition=Q(kind="free"),
                                    name="billing_one_free_pack_per_month"),
            models.CheckConstraint(condition=Q(remaining__gte=0), name="billing_pack_remaining_nonnegative"),
        ]
        ordering = ["expires_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.remaining}/{self.calls_total})"

    @property
    def display_name(self) -> str:
        """A free pack's name in the reader's language (``name`` keeps the language it was issued in,
        often the beat's)."""
        if self.kind == PackKind.FREE and self.month is not None and self.product == Product.VIDEO:
            return gettext("Free video seconds %(month)s") % {"month": f"{self.month:%Y-%m}"}
        if self.kind == PackKind.FREE and self.month is not None:
            return gettext("Free pack %(month)s") % {"month": f"{self.month:%Y-%m}"}
        return product_name(PriceKind.PACK, self.calls_total, self.product)


class QpsGrant(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="qps_grants")
    action = models.CharField(max_length=60, default=FUSE_FACE)  # the API action whose limit it raises
    qps = models.IntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    order = models.ForeignKey("Order", null=True, blank=True, on_delete=models.PROTECT, related_name="qps_grants")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-ends_at", "-id"]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.action} {self.qps} QPS until {self.ends_at:%Y-%m-%d}"


class OrderStatus(models.TextChoices):
    PAID = "paid", _("Paid")


class Order(models.Model):
    """A purchase, paid from the balance when it is created (no unpaid orders exist)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=20, choices=PriceKind.choices)
    price_code = models.CharField(max_length=40)
    item_name = models.CharField(max_length=60)
    # What one unit holds when bought (calls of a pack, QPS, material slots): names it in any language.
    unit_quantity = models.BigIntegerField(default=0)
    quantity = models.IntegerField()
    unit_price_fen = models.BigIntegerField()
    amount_fen = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.PAID)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField()
    # The confirmation page's one-time key: a second submit of one confirmation buys nothing more.
    confirm_key = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "confirm_key"], condition=~Q(confirm_key=""),
                                    name="billing_order_confirmed_once"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def display_name(self) -> str:
        """The product in the reader's language (``item_name`` keeps the price list's words)."""
        if not self.unit_quantity:
            return self.item_name
        return product_name(self.kind, self.unit_quantity)

    @property
    def invoice_number(self) -> str:
        """The number of the live (requested or issued) invoice covering this order, or ""."""
        return _live_invoice_number(self.invoice_lines.all())


class BillStatus(models.TextChoices):
    OPEN = "open", _("Accruing")
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")


class BillAction(models.TextChoices):
    CLOSE = "close", _("Close with an amount due")
    CLOSE_EMPTY = "close_empty", _("Close with nothing due")
    PAY = "pay", _("Pay")


BILL_TRANSITIONS: TransitionTable[str, str] = TransitionTable(_("bill"), {
    (BillStatus.OPEN, BillAction.CLOSE): BillStatus.UNPAID,
    (BillStatus.OPEN, BillAction.CLOSE_EMPTY): BillStatus.PAID,
    (BillStatus.UNPAID, BillAction.PAY): BillStatus.PAID,
})


class Bill(models.Model):
    """The postpaid bill of one month. Calls accrue while open; the amount is fixed at close.

    ``calls`` are FuseFace's (priced at the tier their total reaches), ``ultra_calls`` FuseFaceUltra's
    (priced at its own unit price); the amount is the sum of both parts."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="bills")
    month = models.DateField()
    product = models.CharField(max_length=10, choices=Product.choices, default=Product.IMAGE)
    calls = models.BigIntegerField(default=0)  # calls, or seconds for a video bill
    ultra_calls = models.BigIntegerField(default=0)  # FuseFaceUltra's calls on the image bill
    status = models.CharField(max_length=10, choices=BillStatus.choices, default=BillStatus.OPEN)
    unit_price_millifen = models.BigIntegerField(default=0)
    ultra_unit_price_millifen = models.BigIntegerField(default=0)
    amount_fen = models.BigIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "month", "product"],
                                               name="billing_one_bill_per_month")]
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m}"

    @property
    def invoice_number(self) -> str:
        return _live_invoice_number(self.invoice_lines.all())


class BillLine(models.Model):
    """Line items written at close: the month's calls by campaign, priced at the month's tier."""

    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    label = models.CharField(max_length=100)
    calls = models.BigIntegerField()
    amount_fen = models.BigIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.calls}"


class Book(models.TextChoices):
    # The figures are stored in fen but every page shows yuan: the labels name the book, not the unit.
    BALANCE = "balance", _("Balance")
    PACK = "pack", _("Pack (calls)")
    BILL_CALLS = "bill_calls", _("Bill (calls)")
    BILL_ULTRA_CALLS = "bill_ultra_calls", _("Bill (FuseFaceUltra calls)")
    BILL_AMOUNT = "bill_amount", _("Bill amount")


class EntryReason(models.TextChoices):
    TOPUP = "topup", _("Top-up")
    ORDER = "order", _("Order payment")
    BILL_PAYMENT = "bill_payment", _("Bill payment")
    PACK_ISSUE = "pack_issue", _("Pack issued")
    USAGE = "usage", _("Call settled")
    EXPIRY = "expiry", _("Pack expired")
    BILL_CLOSE = "bill_close", _("Bill closed")
    REVERSAL = "reversal", _("Reversal")


class LedgerEntry(models.Model):
    """Append-only: every change to a balance, a pack's remaining calls or a bill is one row here.
    Mistakes are undone by a reversal entry, never by editing or deleting a row."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ledger_entries")
    book = models.CharField(max_length=20, choices=Book.choices)
    reason = models.CharField(max_length=20, choices=EntryReason.choices)
    delta = models.BigIntegerField()
    pack = models.ForeignKey(Pack, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    usage = models.ForeignKey(UsageRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="reversed_by")
    # A usage record's settlement may span packs (a video job's seconds): its entries are parts 0, 1, ...
    part = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(max_length=200, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            # The database itself refuses a second settlement of one RequestId.
            models.UniqueConstraint(fields=["usage", "part"], condition=Q(reason="usage"),
                                    name="billing_usage_settled_once"),
        ]
        ordering = ["-created_at", "-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.book} {self.reason} {self.delta:+d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise RuntimeError("ledger entries are append-only; write a reversal instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("ledger entries are append-only; write a reversal instead")


class InvoiceStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ISSUED = "issued", _("Issued")
    REJECTED = "rejected", _("Rejected")


class InvoiceAction(models.TextChoices):
    ISSUE = "issue", _("Issue")
    REJECT = "reject", _("Reject")


INVOICE_TRANSITIONS: TransitionTable[str, str] = TransitionTable(_("invoice"), {
    (InvoiceStatus.REQUESTED, InvoiceAction.ISSUE): InvoiceStatus.ISSUED,
    (InvoiceStatus.REQUESTED, InvoiceAction.REJECT): InvoiceStatus.REJECTED,
})


class InvoiceKind(models.TextChoices):
    """The two kinds of VAT invoice (增值税发票) a company asks for."""

    NORMAL = "normal", _("VAT general invoice (增值税普通发票)")
    SPECIAL = "special", _("VAT special invoice (增值税专用发票)")


class Invoice(models.Model):
    """A 发票: requested by the customer for chosen paid orders and bills (its lines), issued by an
    operator with the seller's details and the tax split as they were on the day of issue."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invoices")
    kind = models.CharField(max_length=10, choices=InvoiceKind.choices, default=InvoiceKind.NORMAL)
    title = models.CharField(max_length=100)  # the buyer's name (购买方名称)
    tax_id = models.CharField(max_length=30)  # 统一社会信用代码 / 纳税人识别号
    email = models.EmailField()
    # 专票 only: the buyer's registered address and phone, bank and account (地址电话、开户行及账号).
    buyer_address = models.CharField(max_length=200, blank=True)
    buyer_phone = models.CharField(max_length=30, blank=True)
    buyer_bank = models.CharField(max_length=100, blank=True)
    buyer_bank_account = models.CharField(max_length=40, blank=True)
    amount_fen = models.BigIntegerField()  # total, tax included (价税合计)
    # Fixed at issue: the rate in basis points (600 = 6 %), the amount without tax and the tax.
    tax_rate_bp = models.IntegerField(null=True, blank=True)
    net_fen = models.BigIntegerField(null=True, blank=True)
    tax_fen = models.BigIntegerField(null=True, blank=True)
    seller = models.JSONField(default=dict, blank=True)  # the seller's details as printed
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.REQUESTED)
    number = models.CharField(max_length=32, blank=True)
    pdf_name = models.CharField(max_length=255, blank=True)
    note = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField()
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="billing_invoice_number_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="billing_invoice_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.number or f"request {self.id}"


class InvoiceLine(models.Model):
    """One paid order or bill covered by an invoice. The database refuses a second line for the same
    order or bill while the first is live (not released by a rejection): no amount is invoiced twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines")
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines")
    amount_fen = models.BigIntegerField()
    released = models.BooleanField(default=False)  # the invoice was rejected: the amount is free again

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=(Q(order__isnull=False, bill__isnull=True)
                                              | Q(order__isnull=True, bill__isnull=False)),
                                   name="billing_invoice_line_one_source"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="billing_invoice_line_amount_positive"),
            models.UniqueConstraint(fields=["order"], condition=Q(released=False, order__isnull=False),
                                    name="billing_order_invoiced_once"),
            models.UniqueConstraint(fields=["bill"], condition=Q(released=False, bill__isnull=False),
                                    name="billing_bill_invoiced_once"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.order_id or self.bill_id} {self.amount_fen}"


def _live_invoice_number(lines: models.QuerySet[InvoiceLine]) -> str:
    """The number of the unreleased invoice among ``lines`` ("" while it is only requested)."""
    for line in lines:
        if not line.released:
            return line.invoice.number
    return ""


class SellerProfile(models.Model):
    """The platform's own details (one row), entered by operators: printed as the seller (销售方) on
    every invoice and shown to customers as the account to remit to (线下汇款)."""

    name = models.CharField(_("seller name"), max_length=100, blank=True)
    tax_id = models.CharField(_("taxpayer id"), max_length=30, blank=True)
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    tax_rate_bp = models.IntegerField(_("tax rate (basis points)"), default=600)  # 6 %: 信息技术服务
    item_name = models.CharField(_("invoice item"), max_length=60, default="*信息技术服务*人脸融合服务费")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or "seller"

    @property
    def can_receive_remittances(self) -> bool:
        return bool(self.name and self.bank_name and self.bank_account)

    @property
    def can_issue_invoices(self) -> bool:
        return bool(self.name and self.tax_id)


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    PAID = "paid", _("Credited")
    REJECTED = "rejected", _("Rejected")


class PaymentAction(models.TextChoices):
    CONFIRM = "confirm", _("Confirm receipt")
    REJECT = "reject", _("Reject")


PAYMENT_TRANSITIONS: TransitionTable[str, str] = TransitionTable(_("payment"), {
    (PaymentStatus.PENDING, PaymentAction.CONFIRM): PaymentStatus.PAID,
    (PaymentStatus.PENDING, PaymentAction.REJECT): PaymentStatus.REJECTED,
})


class Payment(models.Model):
    """Money on its way to an account's balance through a payment provider (billing/payments/):
    the "manual" provider is an offline bank remittance (线下汇款) with its voucher, confirmed by an
    operator; an online provider (Alipay, WeChat Pay) would confirm it from its notification.
    Confirmation credits the balance once: the ledger entry is linked one-to-one."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="payments")
    number = models.CharField(max_length=32, unique=True)
    provider = models.CharField(max_length=20)
    amount_fen = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    # Offline remittance: who paid, when, the bank's reference, and the voucher (image or PDF).
    payer_name = models.CharField(max_length=100, blank=True)
    transfer_date = models.DateField(null=True, blank=True)
    bank_reference = models.CharField(max_length=64, blank=True)
    voucher_name = models.CharField(max_length=255, blank=True)
    voucher_content_type = models.CharField(max_length=40, blank=True)
    # The provider's own id of the payment (an online provider's trade number): once per provider.
    provider_reference = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=200, blank=True)  # why it was rejected
    entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="payment")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="billing_payment_amount_positive"),
            models.UniqueConstraint(fields=["provider", "provider_reference"], condition=~Q(provider_reference=""),
                                    name="billing_payment_reference_once"),
            models.CheckConstraint(condition=Q(status="paid", entry__isnull=False) | ~Q(status="paid"),
                                   name="billing_payment_paid_has_entry"),
        ]

    def __str__(self) -> str:
        return self.number
