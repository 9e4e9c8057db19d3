"""费用中心 (billing), 用量统计 (usage), 发票 (invoices) and the operators' billing pages.
Views parse, call a service or selector, render."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import ValidationError
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
    PriceItemForm,
    RejectForm,
    ReverseForm,
    TopUpForm,
    UsageFilterForm,
    yuan_to_fen,
)
from billing.models import BillingMode, Book, Invoice, InvoiceStatus, LedgerEntry, PriceItem, PriceKind
from billing.prices import price_list_ensure
from console.decorators import member_required, operator_required
from console.exports import csv_response
from console.formatting import local_time, yuan
from console.http import MemberRequest, SignedInRequest
from console.models import Account, AccountStatus
from console.roles import role_can
from console.selectors import account_get, account_search
from console.views_util import errors_as_messages, page_of
from materials.forms import QuotaGrantForm
from materials.services import material_quota_add

POLL_SECONDS = 3


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
    postpaid_estimate = None
    if bill is not None:
        price = services.postpaid_unit_price_millifen(bill.calls)
        postpaid_estimate = services.postpaid_amount_fen(bill.calls, price)
    unpaid = selectors.bill_list(account=account).filter(status="unpaid")
    qps = selectors.qps_grants_active(account=account, now=now)
    return render(request, "billing/overview.html", {
        "active_nav": "billing", "tab": "overview", "balance": selectors.balance_fen(account=account),
        "free": free, "paid_packs": paid, "bill": bill, "postpaid_estimate": postpaid_estimate, "unpaid": unpaid,
        "mode": selectors.billing_mode(account=account), "qps_grants": qps,
        "qps_limit": selectors.fuseface_qps_limit(account=account, now=now),
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
            quote = {"item": item, "quantity": quantity, "amount": amount, "after": after,
                     "balance": after + amount, "key": secrets.token_urlsafe(24)}
        except ValidationError as exc:
            form.add_error(None, exc)
    items = selectors.buyable_items()
    return render(request, "billing/buy.html", {
        "active_nav": "billing", "tab": "buy", "form": form, "quote": quote, "items": items,
        "balance": selectors.balance_fen(account=account), "tiers": [(t.display_name, _unit_yuan(t.unit_price_millifen))
                                                         for t in selectors.price_list(kinds=["postpaid_tier"])],
    })


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
                            ([o.number, local_time(o.created_at), o.item_name, o.quantity, yuan(o.amount_fen),
                              o.get_status_display(), o.invoice_id or ""] for o in qs.iterator()))
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
                             for b in qs.iterator()))
    return render(request, "billing/bills.html", {"active_nav": "billing", "tab": "bills",
                                                  "page": page_of(request, qs)})


@require_GET
@member_required("billing.view")
def bill_detail(request: MemberRequest, bill_id: int) -> HttpResponse:
    bill = selectors.bill_get(account=request.account, bill_id=bill_id)
    estimate = None
    if bill.status == "open":
        price = services.postpaid_unit_price_millifen(bill.calls)
        estimate = {"price": _unit_yuan(price), "amount": services.postpaid_amount_fen(bill.calls, price)}
    return render(request, "billing/bill_detail.html", {
        "active_nav": "billing", "tab": "bills", "bill": bill, "lines": bill.lines.all(),
        "unit_price": _unit_yuan(bill.unit_price_millifen), "estimate": estimate,
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
        return csv_response("ledger.csv", [_("Time"), _("Book"), _("Reason"), _("Change in value"), _("Pack"),
                                           _("Bill"), _("Order"), _("Note"), _("By")],
                            ([local_time(e.created_at), e.get_book_display(), e.get_reason_display(), e.delta,
                              e.pack.name if e.pack else "", f"{e.bill.month:%Y-%m}" if e.bill else "",
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
    return render(request, "billing/usage.html", {
        "active_nav": "usage", "form": form, "summary": summary, "data": summary.as_json(),
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

@member_required("invoices.manage")
def invoices(request: MemberRequest) -> HttpResponse:
    account = request.account
    initial = {"title": account.invoice_title or account.name, "tax_id": account.tax_id,
               "email": account.contact_email or request.user.email}
    form = InvoiceRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_request(account=account, actor=request.user, **form.cleaned_data)
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


# --- operators ---------------------------------------------------------------------------

@require_GET
@operator_required
def operator_accounts(request: SignedInRequest) -> HttpResponse:
    q, status = request.GET.get("q", "").strip(), request.GET.get("status", "")
    qs = account_search(selectors.accounts_with_balance(), query=q, status=status)
    return render(request, "billing/ops_accounts.html", {
        "active_nav": "accounts", "page": page_of(request, qs), "q": q, "status": status,
        "statuses": AccountStatus.choices, "pending_invoices": selectors.invoices_pending().count(),
    })


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
    return render(request, "billing/ops_account.html", {
        "active_nav": "accounts", "account": account, "forms": forms_,
        "balance": selectors.balance_fen(account=account),
        "packs": selectors.packs_usable(account=account).order_by("expires_at"),
        "bills": selectors.bill_list(account=account)[:12],
        "entries": selectors.ledger_list(account=account, book=Book.BALANCE)[:30],
        "qps_limit": selectors.fuseface_qps_limit(account=account),
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
        "active_nav": "prices", "items": [(i, _unit_yuan(i.unit_price_millifen)) for i in items],
        "tier_kind": PriceKind.POSTPAID_TIER,
    })


@operator_required
def operator_invoices(request: SignedInRequest) -> HttpResponse:
    return render(request, "billing/ops_invoices.html", {
        "active_nav": "invoices", "pending": selectors.invoices_pending(),
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

