"""Audit rows as the console shows them: each action's label (``AuditAction``), and the labels of the
console's own states (other apps' states show as recorded)."""

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from console.models import AccountStatus, AuditEvent, CredentialStatus, Role

STATE_LABELS: dict[str, Promise] = {
    **dict(AccountStatus.choices), **dict(Role.choices), **dict(CredentialStatus.choices),
    "disabled": pgettext_lazy("login status", "Disabled"),
}


def audit_rows(events: list[AuditEvent]) -> list[dict]:
    return [{
        "event": event,
        "action": event.get_action_display(),
        "from": STATE_LABELS.get(event.from_state, event.from_state),
        "to": STATE_LABELS.get(event.to_state, event.to_state),
    } for event in events]
