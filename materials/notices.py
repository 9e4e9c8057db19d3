"""Mail notices about an account's materials, sent when a review or an appeal is decided.
Called from inside the deciding service; they go out once its transaction commits."""

from typing import Any

from django.urls import reverse

from console.mail import absolute_url, account_notice_send
from materials.models import Material


def _context(material: Material) -> dict[str, Any]:
    return {"material": material, "status": material.get_status_display(),
            "audit_result": material.audit_result or "", "can_appeal": material.can_appeal,
            "material_url": absolute_url(reverse("materials:detail", args=[material.model_id]))}


def notify_material_decided(*, material: Material) -> None:
    """A material's review was decided (by the machine or an operator)."""
    account_notice_send(account=material.account, template="materials/mail/material_decided",
                        context=_context(material))


def notify_appeal_decided(*, material: Material) -> None:
    """An operator decided the material's appeal."""
    account_notice_send(account=material.account, template="materials/mail/appeal_decided",
                        context=_context(material))


def notify_material_rechecked(*, material: Material) -> None:
    """An approved material went back to an operator because a later gallery entry or image matches it."""
    account_notice_send(account=material.account, template="materials/mail/material_rechecked",
                        context=_context(material))
