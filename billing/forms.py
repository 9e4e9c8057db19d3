from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import BillingMode, InvoiceKind
from billing.selectors import buyable_items
from console.validators import validate_uscc

MAX_RANGE_DAYS = 366


def yuan_to_fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


class BuyForm(forms.Form):
    price_code = forms.ChoiceField(label=_("Product"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100, initial=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["price_code"]).choices = [(i.code, i.display_name) for i in buyable_items()]


class ModeForm(forms.Form):
    mode = forms.ChoiceField(choices=BillingMode.choices)


class TopUpForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=200,
                           help_text=_("Where the money came from, e.g. the bank transfer number."))


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


SPECIAL_FIELDS = ("buyer_address", "buyer_phone", "buyer_bank", "buyer_bank_account")


class InvoiceRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of invoice"), choices=InvoiceKind.choices, initial=InvoiceKind.NORMAL,
                             widget=forms.RadioSelect)
    title = forms.CharField(label=_("Buyer name (invoice title)"), max_length=100,
                            help_text=_("The company's registered name, as on its business licence."))
    tax_id = forms.CharField(label=_("Unified social credit code (统一社会信用代码)"), max_length=30,
                             help_text=_("18 characters, on the business licence."))
    email = forms.EmailField(label=_("Email for the invoice"))
    buyer_address = forms.CharField(label=_("Registered address"), max_length=200, required=False)
    buyer_phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    buyer_bank = forms.CharField(label=_("Bank"), max_length=100, required=False)
    buyer_bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)
    orders = forms.MultipleChoiceField(label=_("Orders"), required=False, widget=forms.CheckboxSelectMultiple)
    bills = forms.MultipleChoiceField(label=_("Monthly bills"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, orders: list[tuple[str, str]], bills: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["orders"]).choices = orders
        cast(forms.MultipleChoiceField, self.fields["bills"]).choices = bills
        for name in SPECIAL_FIELDS:
            self.fields[name].help_text = _("Required for a VAT special invoice.")

    def clean_tax_id(self) -> str:
        return validate_uscc(self.cleaned_data["tax_id"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("kind") == InvoiceKind.SPECIAL:
            for name in SPECIAL_FIELDS:
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("A VAT special invoice needs this."))
        if not data.get("orders") and not data.get("bills"):
            raise forms.ValidationError(_("Choose at least one paid order or bill to invoice."))
        return data


class RemittanceForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount transferred (yuan)"), min_value=Decimal("0.01"), max_digits=12,
                                decimal_places=2)
    transfer_date = forms.DateField(label=_("Transfer date"),
                                    widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    payer_name = forms.CharField(label=_("Paid from (account name)"), max_length=100,
                                 help_text=_("The name of the bank account the money was sent from."))
    bank_reference = forms.CharField(label=_("Bank reference (optional)"), max_length=64, required=False,
                                     help_text=_("The transfer's serial number on your bank's receipt."))
    voucher = forms.FileField(label=_("Transfer voucher"),
                              help_text=_("A screenshot, photo or PDF of the bank's receipt; JPG, PNG or PDF."))


class PaymentRejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class SellerForm(forms.Form):
    name = forms.CharField(label=_("Seller name"), max_length=100, required=False)
    tax_id = forms.CharField(label=_("Unified social credit code (统一社会信用代码)"), max_length=30, required=False)
    address = forms.CharField(label=_("Registered address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=40, required=False)
    tax_rate = forms.DecimalField(label=_("Tax rate (%)"), min_value=0, max_value=20, max_digits=5, decimal_places=2,
                                  # xgettext:no-python-format
                                  help_text=_("6 % for information technology services (信息技术服务)."))
    item_name = forms.CharField(label=_("Item on invoices"), max_length=60)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class PriceItemForm(forms.Form):
    price = forms.DecimalField(label=_("Price (yuan)"), min_value=0, max_digits=12, decimal_places=2, required=False)
    unit_price = forms.DecimalField(label=_("Price per call (yuan)"), min_value=0, max_digits=12, decimal_places=5,
                                    required=False)
    tier_from_calls = forms.IntegerField(label=_("Applies above (calls per month)"), min_value=0, required=False)
    active = forms.BooleanField(label=_("On sale"), required=False)


class UsageFilterForm(forms.Form):
    # ISO dates whatever the language: <input type="date"> shows nothing for a localised value.
    start = forms.DateField(label=_("Start date"), required=False,
                            widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    end = forms.DateField(label=_("End date"), required=False,
                          widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    campaign = forms.CharField(label=_("Campaign (ProjectId)"), max_length=64, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        today = timezone.localdate()
        end = data.get("end") or today
        start = data.get("start") or (end - timedelta(days=13))
        if start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        if (end - start).days >= MAX_RANGE_DAYS:
            raise forms.ValidationError(_("Choose a range of at most %(n)d days.") % {"n": MAX_RANGE_DAYS})
        data["start"], data["end"] = start, end
        return data

    def range(self) -> tuple[date, date, str]:
        if self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"], self.cleaned_data["campaign"].strip()
        today = timezone.localdate()
        return today - timedelta(days=13), today, ""
