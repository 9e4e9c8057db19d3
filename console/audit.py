"""Readable labels for audit rows shown in the console; unknown codes (other apps') show as recorded."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from console.models import AccountStatus, AuditEvent, CredentialStatus, Role

ACTION_LABELS: dict[str, Promise] = {
    "account.create": _("Account opened"),
    "account.status": _("Account status changed"),
    "member.create": _("Sub-account created"),
    "member.update": _("Sub-account edited"),
    "member.status": _("Sub-account enabled or disabled"),
    "member.password": _("Sub-account password reset"),
    "member.delete": _("Sub-account removed"),
    "credential.create": _("API key created"),
    "credential.status": _("API key enabled or disabled"),
    "credential.delete": _("API key deleted"),
    "user.password_change": _("Own password changed"),
}

STATE_LABELS: dict[str, Promise] = {
    **dict(AccountStatus.choices), **dict(Role.choices), **dict(CredentialStatus.choices),
    "disabled": pgettext_lazy("login status", "Disabled"),
}


def audit_rows(events: list[AuditEvent]) -> list[dict]:
    return [{
        "event": event,
        "action": ACTION_LABELS.get(event.action, event.action),
        "from": STATE_LABELS.get(event.from_state, event.from_state),
        "to": STATE_LABELS.get(event.to_state, event.to_state),
    } for event in events]
