"""The envelope, routing and the common errors, as the cloud answers them (HTTP 200)."""

import time
import uuid

from django.test import Client

from tests.api.conftest import error_code, signed_post


def test_it_answers_every_call_with_a_fresh_request_id(alice_key, alice_material):
    from tests.api.conftest import reset_rate_limits

    ids = set()
    for _ in range(3):
        reset_rate_limits()
        resp = signed_post(Client(), alice_key, "DescribeMaterialList",
                           {"ActivityId": alice_material.campaign.project_id})
        uuid.UUID(resp["RequestId"])
        ids.add(resp["RequestId"])
    assert len(ids) == 3


def test_it_names_a_missing_or_unknown_action_and_version(alice_key):
    client = Client()
    assert error_code(signed_post(client, alice_key, "", {})) == "MissingParameter"
    assert error_code(signed_post(client, alice_key, "RunInstances", {})) == "InvalidAction"
    assert error_code(signed_post(client, alice_key, "FuseFace", {}, version="2020-01-01")) == "NoSuchVersion"
    assert error_code(signed_post(client, alice_key, "FaceFusion", {}, version="2022-09-27")) == "InvalidAction"


def test_it_rejects_a_body_that_is_not_json(alice_key):
    from api.tc3 import authorization_header

    body = b"not json"
    ts = int(time.time())
    auth = authorization_header(secret_id=alice_key.secret_id, secret_key=alice_key.secret_key, body=body,
                                host="testserver", timestamp=ts)
    resp = Client().post("/", data=body, content_type="application/json", headers={
        "Host": "testserver", "Authorization": auth, "X-TC-Action": "DescribeMaterialList",
        "X-TC-Version": "2022-09-27", "X-TC-Timestamp": str(ts)}).json()["Response"]
    assert resp["Error"]["Code"] == "InvalidParameter"


def test_it_requires_post_on_the_api_path_and_keeps_get_slash_for_the_console(alice):
    resp = Client().get("/api/")
    assert resp.status_code == 200
    assert resp.json()["Response"]["Error"]["Code"] == "UnsupportedProtocol"
    home = Client().get("/")
    assert home.status_code == 302 and home["Location"].endswith("/login/")


def test_it_speaks_english_when_asked(alice_key):
    resp = signed_post(Client(), alice_key, "RunInstances", {}, headers={"X-TC-Language": "en-US"})
    assert "does not exist" in resp["Error"]["Message"]
    resp = signed_post(Client(), alice_key, "RunInstances", {})
    assert "不存在" in resp["Error"]["Message"]


def test_it_names_missing_parameters(alice_key, alice_material):
    resp = signed_post(Client(), alice_key, "DescribeMaterialList", {})
    assert error_code(resp) == "MissingParameter"
    assert "ActivityId" in resp["Error"]["Message"]


def test_it_answers_a_deeply_nested_signed_body_with_a_parameter_error(alice_key, caplog):
    from api.tc3 import authorization_header

    body = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    ts = int(time.time())
    auth = authorization_header(secret_id=alice_key.secret_id, secret_key=alice_key.secret_key, body=body,
                                host="testserver", timestamp=ts)
    resp = Client().post("/", data=body, content_type="application/json", headers={
        "Host": "testserver", "Authorization": auth, "X-TC-Action": "DescribeMaterialList",
        "X-TC-Version": "2022-09-27", "X-TC-Timestamp": str(ts), "X-TC-Region": "ap-guangzhou"}).json()["Response"]
    assert resp["Error"]["Code"] == "InvalidParameter"
    assert "nested" in resp["Error"]["Message"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"], "a traceback was logged"
