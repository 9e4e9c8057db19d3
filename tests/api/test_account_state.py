"""Account and service states answer the cloud's ResourceUnavailable codes, and every call after
authentication is metered — errors included."""

import pytest
from django.test import Client

from console.models import Account
from tests.api.conftest import error_code, signed_post


@pytest.mark.parametrize(("field", "value", "code"), [
    ("status", "frozen", "ResourceUnavailable.Freeze"),
    ("status", "in_arrears", "ResourceUnavailable.InArrears"),
    ("status", "stopped", "ResourceUnavailable.StopUsing"),
    ("service_status", "not_opened", "ResourceUnavailable.NotExist"),
])
@pytest.mark.parametrize("action", ["DescribeMaterialList", "FuseFace"])
def test_it_refuses_calls_from_an_account_that_cannot_use_the_service(alice, alice_key, alice_material, faces_dir,
                                                                       settings, field, value, code, action):
    import base64

    from billing.models import LedgerEntry, UsageRecord
    from fusion.models import FusionJob

    # Should the state check ever be skipped, the FuseFace below would wait for a worker: keep that short.
    settings.FUSION_JOB_DEADLINE_SECONDS = 2
    Account.objects.filter(id=alice.account.id).update(**{field: value})
    if action == "FuseFace":
        # A call that would be billed if it went through: a usable material and a real photo.
        photo = base64.b64encode((faces_dir / "obama.jpg").read_bytes()).decode()
        params = {"ProjectId": alice_material.campaign.project_id, "ModelId": alice_material.model_id,
                  "RspImgType": "base64", "MergeInfos": [{"Image": photo}]}
    else:
        params = {"ActivityId": alice_material.campaign.project_id}
    resp = signed_post(Client(), alice_key, action, params)
    assert error_code(resp) == code
    record = UsageRecord.objects.get(request_id=resp["RequestId"])
    assert record.result_code == code and not record.billable and record.account_id == alice.account.id
    assert record.action == action
    assert UsageRecord.objects.count() == 1
    assert not FusionJob.objects.exists()
    assert not LedgerEntry.objects.filter(account=alice.account, reason="usage").exists()


def test_it_meters_nothing_before_authentication(alice_key, alice_material):
    from billing.models import UsageRecord

    resp = signed_post(Client(), alice_key, "DescribeMaterialList", {"ActivityId": "at_x"}, secret_key="y" * 32)
    assert error_code(resp) == "AuthFailure.SignatureFailure"
    assert not UsageRecord.objects.exists()


def test_it_answers_another_accounts_campaign_like_a_missing_one(alice_key, bob_material):
    from billing.models import UsageRecord

    resp = signed_post(Client(), alice_key, "DescribeMaterialList", {"ActivityId": bob_material.campaign.project_id})
    assert error_code(resp) == "InvalidParameterValue.ActivityIdNotFound"
    record = UsageRecord.objects.get(request_id=resp["RequestId"])
    assert record.campaign_project_id == bob_material.campaign.project_id and not record.billable
