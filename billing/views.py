"""费用中心 (billing), 用量统计 (usage), 发票 (invoices) and the operators' billing pages.
Views parse, call a service or selector, render."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from billing import selectors, services
from billing.forms import (
    BuyForm,
    InvoiceRequestForm,
    ModeForm,
    PaymentRejectForm,
    PriceItemForm,
    RejectForm,
    RemittanceForm,
    ReverseForm,
    SellerForm,
    TopUpForm,
    UsageFilterForm,
    yuan_to_fen,
)
from billing.models import (
    FUSE_FACE_ULTRA,
    ULTRA_TRANSITIONS,
    BillingMode,
    Book,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    Payment,
    PriceItem,
    PriceKind,
    UltraStatus,
    calls_text,
)
from billing.prices import price_list_ensure
from console.decorators import member_required, operator_required
from console.exports import csv_response
from console.formatting import local_time, yuan
from console.http import MemberRequest, SignedInRequest
from console.media import signed_media_url
from console.models import Account, AccountStatus
from console.roles import role_can
from console.selectors import account_get
from console.views_util import errors_as_messages, page_of, upload_read
from materials.forms import QuotaGrantForm
from materials.selectors import material_quota
from materials.services import material_quota_add

POLL_SECONDS = 3
MONEY_BOOKS = frozenset({Book.BALANCE, Book.BILL_AMOUNT})
VOUCHER_LINK_SECONDS = 300


def _unit_yuan(millifen: int) -> str:
    """A price per call (thousandths of a fen) in yuan, without trailing zeros: 4000 → 0.04."""
    return f"{millifen / 100_000:.5f}".rstrip("0").rstrip(".") if millifen else ""


# --- 费用中心 ------------------------------------------------------------------------------

@require_GET
@member_required("billing.view")
def overview(request: MemberRequest) -> HttpResponse:
    account = request.account
    now = timezone.now()
    free = services.free_pack_ensure(account=account, now=now) if account.status == AccountStatus.ACTIVE else \
        selectors.free_pack_of_month(account=account, now=now)
    paid = selectors.packs_usable(account=account, now=now).filter(kind="paid").order_by("expires_at")
    bill = selectors.open_bill(account=account, now=now)
    postpaid_estimate = services.bill_estimate_fen(bill) if bill is not None else None
    unpaid = selectors.bill_list(account=account).filter(status="unpaid")
    qps = selectors.qps_grants_active(account=account, now=now)
    ultra_qps = selectors.qps_grants_active(account=account, now=now, action=FUSE_FACE_ULTRA)
    return render(request, "billing/overview.html", {
        "active_nav": "billing", "tab": "overview", "balance": selectors.balance_fen(account=account),
        "free": free, "paid_packs": paid, "bill": bill,
        "video_free": selectors.free_pack_of_month(account=account, now=now, product="video"),
        "video_bill": selectors.open_bill(account=account, now=now, product="video"),
        "postpaid_estimate": postpaid_estimate, "unpaid": unpaid,
        "mode": selectors.billing_mode(account=account), "qps_grants": qps, "ultra_qps_grants": ultra_qps,
        "qps_limit": selectors.fuseface_qps_limit(account=account, now=now),
        "ultra_qps_limit": selectors.fusefaceultra_qps_limit(account=account, now=now),
        "ultra_price": _unit_yuan(services.ultra_unit_price_millifen()),
        "can_manage": role_can(request.member.role, "billing.manage"), "modes": BillingMode,
    })


@member_required("billing.manage")
def buy(request: MemberRequest) -> HttpResponse:
    account = request.account
    price_list_ensure()
    form = BuyForm(request.POST or None, initial={"price_code": request.GET.get("item", "")})
    quote = None
    if request.method == "POST" and form.is_valid():
        code, quantity = form.cleaned_data["price_code"], form.cleaned_data["quantity"]
        try:
            if request.POST.get("confirm") == "1":
                # The confirmation carries the amount it showed and its one-time key.
                shown = request.POST.get("amount", "")
                expected = int(shown) if shown.isascii() and shown.isdigit() else None
                order = services.order_create(account=account, price_code=code, quantity=quantity,
                                              actor=request.user, confirm_key=request.POST.get("key", "")[:40],
                                              expected_amount_fen=expected)
                messages.success(request, _("Order %(number)s paid: ¥%(amount)s.")
                                 % {"number": order.number, "amount": yuan(order.amount_fen)})
                return redirect("billing:orders")
            item, amount, after = services.order_quote(account=account, price_code=code, quantity=quantity)
            short = max(0, -after)
            quote = {"item": item, "quantity": quantity, "amount": amount, "after": after,
                     "balance": after + amount, "key": secrets.token_urlsafe(24), "short": short,
                     "short_yuan": f"{short // 100}.{short % 100:02d}"}
        except ValidationError as exc:
            form.add_error(None, exc)
    items = selectors.buyable_items()
    return render(request, "billing/buy.html", {
        "active_nav": "billing", "tab": "buy", "form": form, "quote": quote, "items": items,
        "balance": selectors.balance_fen(account=account),
        # The calls' tiers; video seconds have their own (README "Video face fusion").
        "tiers": _tier_ranges(list(selectors.price_list(kinds=["postpaid_tier"]).filter(product="image"))),
        "ultra_price": _unit_yuan(services.ultra_unit_price_millifen()),
    })


def _tier_ranges(tiers: list[PriceItem]) -> list[tuple[str, str]]:
    """Each postpaid tier as the range of monthly calls it prices: "≤ 100万次", "100万–500万次", "> 500万次"."""
    tiers = sorted(tiers, key=lambda t: t.tier_from_calls)
    out = []
    for i, tier in enumerate(tiers):
        upper = tiers[i + 1].tier_from_calls if i + 1 < len(tiers) else None
        if upper is None:
            label = _("above %(n)s calls") % {"n": calls_text(tier.tier_from_calls)}
        elif tier.tier_from_calls == 0:
            label = _("up to %(n)s calls") % {"n": calls_text(upper)}
        else:
            label = _("%(lo)s–%(hi)s calls") % {"lo": calls_text(tier.tier_from_calls), "hi": calls_text(upper)}
        out.append((label, _unit_yuan(tier.unit_price_millifen)))
    return out


@require_POST
@member_required("billing.manage")
def mode(request: MemberRequest) -> HttpResponse:
    form = ModeForm(request.POST)
    if form.is_valid():
        with errors_as_messages(request):
            services.billing_mode_set(account=request.account, mode=form.cleaned_data["mode"], actor=request.user)
            messages.success(request, _("Billing mode changed."))
    return redirect("billing:overview")


@require_GET
@member_required("billing.view")
def orders(request: MemberRequest) -> HttpResponse:
    qs = selectors.order_list(account=request.account)
    if request.GET.get("format") == "csv":
        return csv_response("orders.csv", [_("Order"), _("Time"), _("Product"), _("Quantity"), _("Amount (yuan)"),
                                           _("Status"), _("Invoice")],
                            ([o.number, local_time(o.created_at), o.display_name, o.quantity, yuan(o.amount_fen),
                              o.get_status_display(), o.invoice_number] for o in qs.iterator(chunk_size=500)))
    return render(request, "billing/orders.html", {"active_nav": "billing", "tab": "orders",
                                                   "page": page_of(request, qs)})


@require_GET
@member_required("billing.view")
def bills(request: MemberRequest) -> HttpResponse:
    qs = selectors.bill_list(account=request.account)
    if request.GET.get("format") == "csv":
        return csv_response("bills.csv", [_("Month"), _("Calls"), _("Price per call (yuan)"), _("Amount (yuan)"),
                                          _("Status"), _("Due"), _("Paid")],
                            ([f"{b.month:%Y-%m}", b.calls, _unit_yuan(b.unit_price_millifen), yuan(b.amount_fen),
                              b.get_status_display(), local_time(b.due_at), local_time(b.paid_at)]
                             for b in qs.iterator(chunk_size=500)))
    return render(request, "billing/bills.html", {"active_nav": "billing", "tab": "bills",
                                                  "page": page_of(request, qs)})


@require_GET
@member_required("billing.view")
def bill_detail(request: MemberRequest, bill_id: int) -> HttpResponse:
    bill = selectors.bill_get(account=request.account, bill_id=bill_id)
    estimate = None
    if bill.status == "open":
        estimate = {"price": _unit_yuan(services.postpaid_unit_price_millifen(bill.calls, bill.product)),
                    "ultra_price": _unit_yuan(services.ultra_unit_price_millifen()),
                    "amount": services.bill_estimate_fen(bill)}
    return render(request, "billing/bill_detail.html", {
        "active_nav": "billing", "tab": "bills", "bill": bill, "lines": bill.lines.all(),
        "unit_price": _unit_yuan(bill.unit_price_millifen),
        "ultra_unit_price": _unit_yuan(bill.ultra_unit_price_millifen), "estimate": estimate,
        "can_manage": role_can(request.member.role, "billing.manage"),
    })


@require_POST
@member_required("billing.manage")
def bill_pay(request: MemberRequest, bill_id: int) -> HttpResponse:
    bill = selectors.bill_get(account=request.account, bill_id=bill_id)
    with errors_as_messages(request):
        services.bill_pay(account=request.account, bill_id=bill.id, actor=request.user)
        messages.success(request, _("Bill paid from the balance."))
    return redirect("billing:bill_detail", bill_id=bill.id)


@require_GET
@member_required("billing.view")
def ledger(request: MemberRequest) -> HttpResponse:
    book = request.GET.get("book", "")
    book = book if book in Book.values else ""
    qs = selectors.ledger_list(account=request.account, book=book)
    if request.GET.get("format") == "csv":
        # Money books in yuan, as the page shows them; calls as counts.
        return csv_response("ledger.csv", [_("Time"), _("Book"), _("Reason"), _("Change in value"), _("Pack"),
                                           _("Bill"), _("Order"), _("Note"), _("By")],
                            ([local_time(e.created_at), e.get_book_display(), e.get_reason_display(),
                              Decimal(e.delta).scaleb(-2) if e.book in MONEY_BOOKS else e.delta,
                              e.pack.display_name if e.pack else "", f"{e.bill.month:%Y-%m}" if e.bill else "",
                              e.order.number if e.order else "", e.note, e.actor_label] for e in qs.iterator()))
    return render(request, "billing/ledger.html", {"active_nav": "billing", "tab": "ledger", "book": book,
                                                   "books": Book.choices, "page": page_of(request, qs)})


# --- 用量统计 ------------------------------------------------------------------------------

@require_GET
@member_required("usage.view")
def usage(request: MemberRequest) -> HttpResponse:
    form = UsageFilterForm(request.GET or None)
    start, end, campaign = form.range()
    if not form.is_bound:  # show the default range in the date inputs
        form = UsageFilterForm(initial={"start": start, "end": end})
    summary = selectors.usage_summary(account=request.account, start=start, end=end, campaign=campaign)
    labels = {"billed": _("Billed"), "free": _("Free"), "not_billed": _("Not billed"), "none": _("(none)"),
              "deleted": _("(deleted)"), "empty": _("No calls in this range."), "ago": _("Updated {n} s ago"),
              "stale": _("Could not refresh; retrying")}
    return render(request, "billing/usage.html", {
        "active_nav": "usage", "form": form, "summary": summary, "data": summary.as_json(), "labels": labels,
        "poll_seconds": POLL_SECONDS, "query": request.GET.urlencode(),
    })


@require_GET
@member_required("usage.view")
def usage_data(request: MemberRequest) -> JsonResponse:
    form = UsageFilterForm(request.GET or None)
    start, end, campaign = form.range()
    summary = selectors.usage_summary(account=request.account, start=start, end=end, campaign=campaign)
    return JsonResponse(summary.as_json())


@require_GET
@member_required("usage.view")
def usage_csv(request: MemberRequest) -> HttpResponse:
    form = UsageFilterForm(request.GET or None)
    start, end, campaign = form.range()
    qs = selectors.usage_records(account=request.account, start=start, end=end, campaign=campaign)
    return csv_response(f"usage-{start}-{end}.csv",
                        ["RequestId", _("Time"), _("Action"), _("Campaign"), _("Material"), _("Result code"),
                         _("Latency (ms)"), _("Billable"), _("Settled to"), _("Source")],
                        ([r.request_id, local_time(r.created_at), r.action, r.campaign_project_id, r.material_model_id,
                          r.result_code or "Success", r.latency_ms, _("yes") if r.billable else _("no"),
                          r.get_settled_to_display() if r.settled_to else _("pending"), r.get_source_display()]
                         for r in qs.order_by("created_at", "id").iterator()))


# --- 发票 -------------------------------------------------------------------------------

def _invoice_choices(account: Account) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    orders = [(str(o.id), f"{o.number} · {o.display_name} · ¥{yuan(o.amount_fen)}")
              for o in selectors.invoiceable_orders(account)]
    bills = [(str(b.id), _("Bill %(month)s · ¥%(amount)s")
              % {"month": f"{b.month:%Y-%m}", "amount": yuan(b.amount_fen)})
             for b in selectors.invoiceable_bills(account)]
    return orders, bills


@member_required("invoices.manage")
def invoices(request: MemberRequest) -> HttpResponse:
    account = request.account
    orders, bills = _invoice_choices(account)
    initial = {"title": account.invoice_title or account.name, "tax_id": account.tax_id,
               "email": account.contact_email or request.user.email,
               "orders": [value for value, _label in orders], "bills": [value for value, _label in bills]}
    form = InvoiceRequestForm(request.POST or None, initial=initial, orders=orders, bills=bills)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invoice = services.invoice_request(
                account=account, actor=request.user, kind=data["kind"], title=data["title"], tax_id=data["tax_id"],
                email=data["email"], buyer_address=data["buyer_address"], buyer_phone=data["buyer_phone"],
                buyer_bank=data["buyer_bank"], buyer_bank_account=data["buyer_bank_account"],
                order_ids=[int(i) for i in data["orders"]], bill_ids=[int(i) for i in data["bills"]])
            messages.success(request, _("Invoice requested for ¥%(amount)s; the platform will issue it shortly.")
                             % {"amount": yuan(invoice.amount_fen)})
            return redirect("billing:invoices")
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "billing/invoices.html", {
        "active_nav": "billing", "tab": "invoices", "form": form,
        "invoiceable": selectors.invoiceable_fen(account=account),
        "page": page_of(request, selectors.invoice_list(account=account)),
    })


def _pdf_response(invoice: Invoice) -> FileResponse:
    if invoice.status != InvoiceStatus.ISSUED or not invoice.pdf_name:
        raise Http404
    return FileResponse(default_storage.open(invoice.pdf_name, "rb"), as_attachment=True,
                        filename=f"invoice-{invoice.number}.pdf", content_type="application/pdf")


@require_GET
@member_required("invoices.manage")
def invoice_pdf(request: MemberRequest, invoice_id: int) -> FileResponse:
    return _pdf_response(selectors.invoice_get(account=request.account, invoice_id=invoice_id))


# --- 充值: offline remittance -------------------------------------------------------------

@member_required("billing.view")
def payments(request: MemberRequest) -> HttpResponse:
    account = request.account
    can_manage = role_can(request.member.role, "billing.manage")
    amount = request.GET.get("amount", "")
    initial = {"amount": amount if amount.replace(".", "", 1).isdigit() else None,
               "transfer_date": timezone.localdate(), "payer_name": account.invoice_title or account.name}
    form = RemittanceForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                voucher = upload_read(data["voucher"], settings.MATERIAL_PROOF_MAX_BYTES, _voucher_too_big)
                payment = services.remittance_submit(
                    account=account, actor=request.user, amount_fen=yuan_to_fen(data["amount"]),
                    transfer_date=data["transfer_date"], payer_name=data["payer_name"],
                    bank_reference=data["bank_reference"], voucher=voucher)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Remittance %(number)s of ¥%(amount)s submitted. The platform checks its "
                                            "bank statement and credits your balance, usually within one working "
                                            "day.") % {"number": payment.number, "amount": yuan(payment.amount_fen)})
                return redirect("billing:payments")
    seller = services.seller_profile()
    return render(request, "billing/payments.html", {
        "active_nav": "billing", "tab": "payments", "form": form, "seller": seller, "can_manage": can_manage,
        "balance": selectors.balance_fen(account=account),
        "page": page_of(request, selectors.payment_list(account=account)),
    })


def _voucher_too_big(size: int) -> ValidationError:
    return ValidationError(_("The voucher is %(mb).1f MB; the limit is %(max).0f MB.")
                           % {"mb": size / 1048576, "max": settings.MATERIAL_PROOF_MAX_BYTES / 1048576})


def _voucher_redirect(payment: Payment) -> HttpResponse:
    if not payment.voucher_name:
        raise Http404
    ext = payment.voucher_name.rsplit(".", 1)[-1]
    return redirect(signed_media_url(payment.voucher_name, expires_in=VOUCHER_LINK_SECONDS,
                                     download_name=f"voucher-{payment.number}.{ext}"))


@require_GET
@member_required("billing.view")
def payment_voucher(request: MemberRequest, number: str) -> HttpResponse:
    return _voucher_redirect(selectors.payment_get(account=request.account, number=number))


# --- operators ---------------------------------------------------------------------------

@operator_required
def operator_account(request: SignedInRequest, account_id: int) -> HttpResponse:
    account = account_get(account_id=account_id)
    forms_ = {"topup": TopUpForm(prefix="topup"), "quota": QuotaGrantForm(prefix="quota")}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in forms_:
            form = forms_[action] = type(forms_[action])(request.POST, prefix=action)
            if form.is_valid():
                try:
                    _operator_action(request, account, action, form.cleaned_data)
                    return redirect("billing:operator_account", account_id=account.id)
                except ValidationError as exc:
                    form.add_error(None, exc)
    used, total = material_quota(account=account)
    ultra = selectors.ultra_status(account=account)
    return render(request, "billing/ops_account.html", {
        "active_nav": "accounts", "account": account, "forms": forms_, "quota_used": used, "quota_total": total,
        "balance": selectors.balance_fen(account=account),
        "packs": selectors.packs_usable(account=account).order_by("expires_at"),
        "bills": selectors.bill_list(account=account)[:12],
        "entries": selectors.ledger_list(account=account, book=Book.BALANCE)[:30],
        "qps_limit": selectors.fuseface_qps_limit(account=account),
        "ultra_qps_limit": selectors.fusefaceultra_qps_limit(account=account),
        "ultra_status": ultra, "ultra_actions": ULTRA_TRANSITIONS.actions_from(ultra), "ultra_statuses": UltraStatus,
    })


def _operator_action(request: SignedInRequest, account: Account, action: str, data: dict) -> None:
    if action == "topup":
        services.balance_top_up(account=account, amount_fen=yuan_to_fen(data["amount"]), actor=request.user,
                                note=data["note"])
        messages.success(request, _("Balance topped up."))
    else:
        material_quota_add(account=account, blocks=data["blocks"], actor=request.user, reason=data["reason"])
        messages.success(request, _("Material quota granted."))


@require_POST
@operator_required
def operator_ultra(request: SignedInRequest, account_id: int) -> HttpResponse:
    """Turn FuseFaceUltra on or off for the account (the table refuses anything else)."""
    account = account_get(account_id=account_id)
    with errors_as_messages(request):
        access = services.ultra_access_set(account=account, action=request.POST.get("action", ""),
                                           actor=request.user, reason=request.POST.get("reason", "")[:200])
        messages.success(request, _("FuseFaceUltra is on for this account.") if access.status == UltraStatus.ON
                         else _("FuseFaceUltra is off for this account."))
    return redirect("billing:operator_account", account_id=account.id)


@require_POST
@operator_required
def operator_reverse(request: SignedInRequest, account_id: int, entry_id: int) -> HttpResponse:
    account = account_get(account_id=account_id)
    entry = get_object_or_404(LedgerEntry, account=account, id=entry_id)
    form = ReverseForm(request.POST)
    with errors_as_messages(request):
        if not form.is_valid():
            raise ValidationError(_("Say why the entry is reversed."))
        services.ledger_reverse(entry=entry, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Top-up reversed."))
    return redirect("billing:operator_account", account_id=account.id)


@operator_required
def operator_prices(request: SignedInRequest) -> HttpResponse:
    price_list_ensure()
    if request.method == "POST":
        item = get_object_or_404(PriceItem, id=request.POST.get("item_id"))
        form = PriceItemForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            with errors_as_messages(request):
                services.price_item_update(
                    item=item, actor=request.user,
                    price_fen=yuan_to_fen(data["price"]) if data["price"] is not None else item.price_fen,
                    unit_price_millifen=(int((data["unit_price"] * 100_000).to_integral_value())
                                         if data["unit_price"] is not None else item.unit_price_millifen),
                    tier_from_calls=(data["tier_from_calls"] if data["tier_from_calls"] is not None
                                     else item.tier_from_calls),
                    active=data["active"])
                messages.success(request, _("Price saved."))
        else:
            messages.error(request, _("Check the values: prices are yuan amounts, thresholds whole numbers."))
        return redirect("billing:operator_prices")
    items = selectors.price_list(active_only=False)
    return render(request, "billing/ops_prices.html", {
        "active_nav": "billing_ops", "tab": "prices", "items": [(i, _unit_yuan(i.unit_price_millifen)) for i in items],
        "per_call_kinds": [PriceKind.POSTPAID_TIER, PriceKind.ULTRA_CALL], "tier_kind": PriceKind.POSTPAID_TIER,
    })


@require_GET
@operator_required
def operator_payments(request: SignedInRequest) -> HttpResponse:
    """计费运营's first page: remittances waiting for the bank statement, then the recent decisions."""
    seller = services.seller_profile()
    return render(request, "billing/ops_payments.html", {
        "active_nav": "billing_ops", "tab": "payments", "pending": selectors.payments_pending(), "seller": seller,
        "recent": selectors.payments_decided()[:30],
        "pending_invoices": selectors.invoices_pending().count(), "reject_form": PaymentRejectForm(),
    })


@require_POST
@operator_required
def operator_payment_confirm(request: SignedInRequest, number: str) -> HttpResponse:
    payment = selectors.payment_get_any(number=number)
    with errors_as_messages(request):
        already = payment.status == "paid"
        payment = services.payment_confirm(payment_id=payment.id, actor=request.user)
        if already:
            messages.info(request, _("Remittance %(number)s was already credited; nothing changed.")
                          % {"number": payment.number})
        else:
            messages.success(request, _("Remittance %(number)s confirmed: ¥%(amount)s credited to %(name)s.")
                             % {"number": payment.number, "amount": yuan(payment.amount_fen),
                                "name": payment.account.name})
    return redirect("billing:operator_payments")


@require_POST
@operator_required
def operator_payment_reject(request: SignedInRequest, number: str) -> HttpResponse:
    payment = selectors.payment_get_any(number=number)
    form = PaymentRejectForm(request.POST)
    with errors_as_messages(request):
        if not form.is_valid():
            raise ValidationError(_("Say why the remittance is rejected, so the customer can fix it."))
        services.payment_reject(payment_id=payment.id, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Remittance %(number)s rejected.") % {"number": payment.number})
    return redirect("billing:operator_payments")


@require_GET
@operator_required
def operator_payment_voucher(request: SignedInRequest, number: str) -> HttpResponse:
    return _voucher_redirect(selectors.payment_get_any(number=number))


@operator_required
def operator_seller(request: SignedInRequest) -> HttpResponse:
    seller = services.seller_profile()
    initial = {"name": seller.name, "tax_id": seller.tax_id, "address": seller.address, "phone": seller.phone,
               "bank_name": seller.bank_name, "bank_account": seller.bank_account,
               "tax_rate": Decimal(seller.tax_rate_bp) / 100, "item_name": seller.item_name}
    form = SellerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.seller_profile_update(
                actor=request.user, name=data["name"], tax_id=data["tax_id"], address=data["address"],
                phone=data["phone"], bank_name=data["bank_name"], bank_account=data["bank_account"],
                tax_rate_bp=int((data["tax_rate"] * 100).to_integral_value()), item_name=data["item_name"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Seller details saved."))
            return redirect("billing:operator_seller")
    return render(request, "billing/ops_seller.html", {"active_nav": "billing_ops", "tab": "seller", "form": form,
                                                       "seller": seller})


@operator_required
def operator_invoices(request: SignedInRequest) -> HttpResponse:
    return render(request, "billing/ops_invoices.html", {
        "active_nav": "billing_ops", "tab": "invoices", "pending": selectors.invoices_pending().prefetch_related(
            "lines__order", "lines__bill"), "seller": services.seller_profile(),
        "recent": Invoice.objects.exclude(status=InvoiceStatus.REQUESTED).select_related("account")
        .order_by("-issued_at", "-id")[:30],
    })


@require_POST
@operator_required
def operator_invoice_issue(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_any(invoice_id=invoice_id)
    with errors_as_messages(request):
        invoice = services.invoice_issue(invoice_id=invoice.id, actor=request.user)
        messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice.number})
    return redirect("billing:operator_invoices")


@require_POST
@operator_required
def operator_invoice_reject(request: SignedInRequest, invoice_id: int) -> HttpResponse:
    invoice = selectors.invoice_get_any(invoice_id=invoice_id)
    form = RejectForm(request.POST)
    with errors_as_messages(request):
        if not form.is_valid():
            raise ValidationError(_("Say why the request is rejected, so the customer can fix it."))
        services.invoice_reject(invoice_id=invoice.id, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Invoice request rejected."))
    return redirect("billing:operator_invoices")


@require_GET
@operator_required
def operator_invoice_pdf(request: SignedInRequest, invoice_id: int) -> FileResponse:
    return _pdf_response(selectors.invoice_get_any(invoice_id=invoice_id))

