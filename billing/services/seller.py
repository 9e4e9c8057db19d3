"""The platform's seller details and tax rate (one row), kept by operators."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from billing.models import SellerProfile
from console.models import AuditAction
from console.services import audit_record
from console.validators import validate_uscc

MAX_TAX_RATE_BP = 2_000  # 20 %: above any VAT rate


def seller_profile() -> SellerProfile:
    """The one row, created with its defaults on first use."""
    profile = SellerProfile.objects.order_by("id").first()
    if profile is None:
        try:
            with transaction.atomic():
                profile = SellerProfile.objects.create()
        except IntegrityError:  # pragma: no cover - created concurrently
            profile = SellerProfile.objects.order_by("id").first()
    assert profile is not None
    return profile


def seller_profile_update(*, actor: User | None, name: str, tax_id: str, address: str, phone: str,
                          bank_name: str, bank_account: str, tax_rate_bp: int, item_name: str) -> SellerProfile:
    """Operators: the seller printed on invoices and the bank account customers remit to."""
    errors = []
    values = {"name": name.strip(), "address": address.strip(), "phone": phone.strip(),
              "bank_name": bank_name.strip(), "bank_account": "".join(bank_account.split()),
              "item_name": item_name.strip()}
    values["tax_id"] = tax_id.strip()
    if values["tax_id"]:
        try:
            values["tax_id"] = validate_uscc(values["tax_id"])
        except ValidationError as exc:
            errors.extend(exc.messages)
    if not isinstance(tax_rate_bp, int) or not 0 <= tax_rate_bp <= MAX_TAX_RATE_BP:
        errors.append(_("Enter a tax rate from 0 to 20 %."))
    if not values["item_name"]:
        errors.append(_("Enter the item printed on invoices."))
    if errors:
        raise ValidationError(errors, code="invalid")
    with transaction.atomic():
        profile = SellerProfile.objects.select_for_update().get(id=seller_profile().id)
        before = {k: getattr(profile, k) for k in (*values, "tax_rate_bp")}
        for key, value in values.items():
            setattr(profile, key, value)
        profile.tax_rate_bp = tax_rate_bp
        profile.save()
        changed = {k: [before[k], getattr(profile, k)] for k in before if before[k] != getattr(profile, k)}
        audit_record(actor=actor, account=None, action=AuditAction.BILLING_SELLER_UPDATE, target_type="seller",
                     target_id=profile.id, data={"changed": changed})
    return profile
