"""Audit rows as the console shows them, in the reader's language: each action's label
(``AuditAction``), the states it moved between and, where an app stored a machine's reason, that
reason. The console labels its own states; the other apps describe their rows through the functions
named in ``settings.CONSOLE_AUDIT_DESCRIBERS`` (composed by the project package, as the overview's
cards are), so the console imports none of them."""

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import pgettext_lazy

from console.models import AccountStatus, AuditEvent, CredentialStatus, Role

STATE_LABELS: dict[str, Promise] = {
    **dict(AccountStatus.choices), **dict(Role.choices), **dict(CredentialStatus.choices),
    "disabled": pgettext_lazy("login status", "Disabled"),
}

# An app's describer: for a row of its own, the readable parts it knows ("from", "to", "reason");
# None for rows that are not its.
Describer = Callable[[AuditEvent], dict[str, Any] | None]


def _describers() -> list[Describer]:
    return [import_string(path) for path in settings.CONSOLE_AUDIT_DESCRIBERS]


def audit_rows(events: Iterable[AuditEvent]) -> list[dict[str, Any]]:
    describers = _describers()
    rows = []
    for event in events:
        row: dict[str, Any] = {
            "event": event,
            "action": event.get_action_display(),
            "from": STATE_LABELS.get(event.from_state, event.from_state),
            "to": STATE_LABELS.get(event.to_state, event.to_state),
            "reason": event.reason,
        }
        for describe in describers:
            described = describe(event)
            if described:
                row.update(described)
                break
        rows.append(row)
    return rows
