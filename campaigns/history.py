"""How campaigns' audit rows read in the console (console/audit.py): statuses and algorithm versions
by their names."""

from typing import Any

from campaigns.models import CampaignStatus, CampaignVersion
from console.models import AuditEvent

NAMES = {**{value: str(label) for value, label in CampaignStatus.choices},
         **{value: str(label) for value, label in CampaignVersion.choices}}


def describe(event: AuditEvent) -> dict[str, Any] | None:
    if event.target_type != "campaign":
        return None
    return {"from": NAMES.get(event.from_state, event.from_state), "to": NAMES.get(event.to_state, event.to_state)}
