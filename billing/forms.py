from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import BillingMode
from billing.selectors import buyable_items

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


class InvoiceRequestForm(forms.Form):
    title = forms.CharField(label=_("Invoice title"), max_length=100)
    tax_id = forms.CharField(label=_("Tax id"), max_length=30)
    email = forms.EmailField(label=_("Email for the invoice"))


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
