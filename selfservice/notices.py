"""Mail notices that other apps send about an account's objects.

Each takes the object it reports on (duck-typed: it needs ``.account`` and the display fields
named below) and sends after the caller's transaction commits, to the account's contact email
and its owner's email. Call them from inside the service that made the change.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse

from console.formatting import yuan
from selfservice.mail import absolute_url, mail_send_on_commit
from selfservice.selectors import account_notice_recipients


def _display(obj: Any, field: str) -> str:
    getter = getattr(obj, f"get_{field}_display", None)
    if callable(getter):
        return str(getter())
    value = getattr(obj, field, "")
    return "" if value is None else str(value)


def _send(*, account: Any, template: str, context: dict) -> None:
    mail_send_on_commit(to=account_notice_recipients(account=account), template=template,
                        language=settings.LANGUAGE_CODE,
                        context={"account": account, **context})


def _material_context(material: Any) -> dict:
    # Codes 22 and 2 are the machine and manual rejections (DESIGN §6); each may be appealed once.
    can_appeal = getattr(material, "status", None) in (2, 22) and not getattr(material, "appealed", False)
    return {"material": material, "status": _display(material, "status"),
            "audit_result": getattr(material, "audit_result", "") or "", "can_appeal": can_appeal,
            "materials_url": absolute_url(reverse("materials:list"))}


def notify_material_decided(*, material: Any) -> None:
    """A material's review was decided (machine or operator)."""
    _send(account=material.account, template="material_decided", context=_material_context(material))


def notify_appeal_decided(*, material: Any) -> None:
    """An operator decided the material's appeal."""
    _send(account=material.account, template="appeal_decided", context=_material_context(material))


def notify_bill_issued(*, bill: Any) -> None:
    """A monthly bill was closed and is due (``month``, ``calls``, ``amount_fen``, ``due_at``)."""
    _send(account=bill.account, template="bill_issued", context={
        "bill": bill, "calls": f"{int(getattr(bill, 'calls', 0) or 0):,}",
        "amount_yuan": yuan(int(getattr(bill, "amount_fen", 0) or 0)),
        "bills_url": absolute_url(reverse("billing:bills"))})


def notify_pack_low(*, pack: Any) -> None:
    """A resource pack fell to 10% of its calls (``name``, ``remaining``, ``calls_total``, ``expires_at``)."""
    total = int(getattr(pack, "calls_total", 0) or 0)
    remaining = int(getattr(pack, "remaining", 0) or 0)
    percent = (remaining * 100 // total) if total else 0
    _send(account=pack.account, template="pack_low", context={
        "pack": pack, "percent": percent, "remaining": f"{remaining:,}", "total": f"{total:,}",
        "buy_url": absolute_url(reverse("billing:buy"))})
