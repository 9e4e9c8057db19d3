"""How materials' audit rows read in the console (console/audit.py): status codes as their names,
and the machine's reasons (stored in Chinese, as the cloud answers) in the reader's language, from the
flags the row kept."""

from typing import Any

from django.utils.translation import get_language

from console.models import AuditAction, AuditEvent
from materials.models import MaterialStatus, ReviewFlag
from materials.review import reason_text

MACHINE_ACTIONS = frozenset({AuditAction.MATERIAL_REVIEW_MACHINE, AuditAction.MATERIAL_REVIEW_RECHECK})


def _status(code: str) -> str:
    try:
        return str(MaterialStatus(int(code)).label)
    except ValueError:
        return code


def _machine_reason(event: AuditEvent) -> str | None:
    data = event.data or {}
    language = get_language() or "zh-hans"
    if event.action == AuditAction.MATERIAL_REVIEW_RECHECK and data.get("flag"):
        flag = data["flag"]
        key = "public_figures" if flag == ReviewFlag.PUBLIC_FIGURE else "protected_images"
        details = {"recheck": {"flag": flag}, key: [data.get("match") or {}]}
        return reason_text([flag], details, language=language)
    if data.get("flags"):
        return reason_text(data["flags"], data.get("details") or {}, language=language)
    return None


def describe(event: AuditEvent) -> dict[str, Any] | None:
    if event.target_type != "material":
        return None
    row: dict[str, Any] = {}
    if event.from_state:
        row["from"] = _status(event.from_state)
    if event.to_state:
        row["to"] = _status(event.to_state)
    if event.action in MACHINE_ACTIONS:
        reason = _machine_reason(event)
        if reason:
            row["reason"] = reason
    return row
