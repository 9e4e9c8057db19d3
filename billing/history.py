"""How billing's audit rows read in the console (console/audit.py): invoice, payment and order states
by their names, and FuseFaceUltra turned on or off."""

from typing import Any

from billing.models import BillStatus, InvoiceStatus, OrderStatus, PaymentStatus, UltraStatus
from console.models import AuditAction, AuditEvent

STATES: dict[str, dict[str, str]] = {
    "invoice": {value: str(label) for value, label in InvoiceStatus.choices},
    "payment": {value: str(label) for value, label in PaymentStatus.choices},
    "order": {value: str(label) for value, label in OrderStatus.choices},
    "bill": {value: str(label) for value, label in BillStatus.choices},
}


def describe(event: AuditEvent) -> dict[str, Any] | None:
    if event.action == AuditAction.ULTRA_ACCESS:
        ultra = {value: str(label) for value, label in UltraStatus.choices}
        return {"from": ultra.get(event.from_state, event.from_state), "to": ultra.get(event.to_state, event.to_state)}
    states = STATES.get(event.target_type)
    if states is None:
        return None
    return {"from": states.get(event.from_state, event.from_state), "to": states.get(event.to_state, event.to_state)}
