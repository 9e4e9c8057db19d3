"""The API's side of the usage meter: one record per authenticated call, keyed by RequestId."""

from __future__ import annotations

import logging

from console.models import Account

log = logging.getLogger(__name__)


def usage_record(*, request_id: str, account: Account, action: str, result_code: str, latency_ms: int,
                 campaign_project_id: str = "", material_model_id: str = "") -> None:
    from billing.models import BILLED_ACTIONS
    from billing.services import is_billable, usage_record_create

    usage_record_create(request_id=request_id, account=account, action=action, result_code=result_code,
                        billable=action in BILLED_ACTIONS and is_billable(result_code), latency_ms=latency_ms,
                        campaign_project_id=campaign_project_id, material_model_id=material_model_id,
                        source="api")
