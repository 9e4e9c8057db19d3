"""``seed_demo --json``: one JSON object a client can call the API with; keys are never reprinted."""

import io
import json

from django.core.management import call_command
from django.test import Client

from tests.api.conftest import ApiKey, reset_rate_limits, signed_post


def _run() -> dict:
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--json", stdout=out, stderr=err)
    assert "Demo tenant" in err.getvalue()  # the human lines stay off stdout
    return json.loads(out.getvalue())


def test_it_prints_a_working_key_and_an_approved_material(db):
    from console.models import ApiCredential

    data = _run()
    assert set(data) >= {"AppId", "SecretId", "SecretKey", "ProjectId", "ModelId"}
    key = ApiKey(secret_id=data["SecretId"], secret_key=data["SecretKey"], credential=None)
    resp = signed_post(Client(), key, "DescribeMaterialList", {"ActivityId": data["ProjectId"]})
    assert "Error" not in resp, resp
    info = next(m for m in resp["MaterialInfos"] if m["MaterialId"] == data["ModelId"])
    assert info["MaterialStatus"] in (1, 11, 21) and info["MaterialFaceList"]

    # Run again (and again): a new key each time, never more than two, the latest one works.
    seen = {data["SecretId"]}
    for _ in range(2):
        data = _run()
        seen.add(data["SecretId"])
        reset_rate_limits()
        key = ApiKey(secret_id=data["SecretId"], secret_key=data["SecretKey"], credential=None)
        assert "Error" not in signed_post(Client(), key, "DescribeMaterialList", {"ActivityId": data["ProjectId"]})
    assert len(seen) == 3
    owner_keys = ApiCredential.objects.filter(member__user__username="demo")
    assert owner_keys.count() == 2 and data["SecretId"] in set(owner_keys.values_list("secret_id", flat=True))


def test_it_never_deletes_keys_the_owner_uses(db):
    import pytest
    from django.core.management.base import CommandError

    from console.models import ApiCredential, Member
    from console.services import credential_create

    _run()
    owner = Member.objects.get(user__username="demo")
    ApiCredential.objects.filter(member=owner).delete()
    mine = {credential_create(member=owner, description="prod").credential.secret_id for _ in range(2)}
    with pytest.raises(CommandError):
        call_command("seed_demo", "--json", stdout=io.StringIO(), stderr=io.StringIO())
    assert set(ApiCredential.objects.filter(member=owner).values_list("secret_id", flat=True)) == mine
