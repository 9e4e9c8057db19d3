"""How billing's audit rows read in the console (console/audit.py): invoice, payment and order states
by their names."""

from typing import Any

from billing.models import BillStatus, InvoiceStatus, OrderStatus, PaymentStatus
from console.models import AuditEvent

STATES: dict[str, dict[str, str]] = {
    "invoice": {value: str(label) for value, label in InvoiceStatus.choices},
    "payment": {value: str(label) for value, label in PaymentStatus.choices},
    "order": {value: str(label) for value, label in OrderStatus.choices},
    "bill": {value: str(label) for value, label in BillStatus.choices},
}


def describe(event: AuditEvent) -> dict[str, Any] | None:
    states = STATES.get(event.target_type)
    if states is None:
        return None
    return {"from": states.get(event.from_state, event.from_state), "to": states.get(event.to_state, event.to_state)}
