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
    ("service_status", "opening", "ResourceUnavailable.IsOpening"),
])
def test_it_refuses_calls_from_an_account_that_cannot_use_the_service(alice, alice_key, alice_material, field,
                                                                       value, code):
    from billing.models import UsageRecord

    Account.objects.filter(id=alice.account.id).update(**{field: value})
    resp = signed_post(Client(), alice_key, "DescribeMaterialList", {"ActivityId": alice_material.campaign.project_id})
    assert error_code(resp) == code
    record = UsageRecord.objects.get(request_id=resp["RequestId"])
    assert record.result_code == code and not record.billable and record.account_id == alice.account.id


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
