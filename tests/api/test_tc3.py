"""TC3-HMAC-SHA256 verification at the endpoint: every way a signature can be wrong."""

import json
import time

from django.test import Client

from api.tc3 import Tc3Verifier, authorization_header
from tests.api.conftest import error_code, signed_post

LIST = "DescribeMaterialList"


def _params(material) -> dict:
    return {"ActivityId": material.campaign.project_id}


def test_it_accepts_a_valid_signature_on_both_paths(alice_key, alice_material):
    from tests.api.conftest import reset_rate_limits

    for path in ("/", "/api/"):
        reset_rate_limits()  # DescribeMaterialList is limited to 1 QPS
        resp = signed_post(Client(), alice_key, LIST, _params(alice_material), path=path)
        assert "Error" not in resp, resp
        assert resp["Count"] == 1


def test_it_rejects_a_wrong_secret_key(alice_key, alice_material):
    resp = signed_post(Client(), alice_key, LIST, _params(alice_material), secret_key="x" * 32)
    assert error_code(resp) == "AuthFailure.SignatureFailure"


def test_it_rejects_an_unknown_secret_id(alice_key, alice_material):
    alice_key.secret_id = "AKID" + "0" * 32
    resp = signed_post(Client(), alice_key, LIST, _params(alice_material))
    assert error_code(resp) == "AuthFailure.SecretIdNotFound"


def test_it_treats_a_disabled_key_as_not_found(alice, alice_key, alice_material):
    from console.services import credential_set_status

    credential_set_status(credential=alice_key.credential, by=alice.owner, status="disabled")
    resp = signed_post(Client(), alice_key, LIST, _params(alice_material))
    assert error_code(resp) == "AuthFailure.SecretIdNotFound"


def test_it_rejects_a_disabled_login(alice, alice_key, alice_material):
    from console.services import member_set_active

    member_set_active(member=alice.developer, by=alice.owner, active=False)
    resp = signed_post(Client(), alice_key, LIST, _params(alice_material))
    assert error_code(resp) == "AuthFailure.UnauthorizedOperation"


def test_it_rejects_a_timestamp_beyond_300_seconds(alice_key, alice_material):
    for skew in (-301, 301):
        resp = signed_post(Client(), alice_key, LIST, _params(alice_material), timestamp=int(time.time()) + skew)
        assert error_code(resp) == "AuthFailure.SignatureExpire"


def test_it_accepts_a_timestamp_within_the_window(alice_key, alice_material):
    resp = signed_post(Client(), alice_key, LIST, _params(alice_material), timestamp=int(time.time()) - 250)
    assert "Error" not in resp


def test_it_rejects_a_tampered_body(alice_key, alice_material):
    body = json.dumps(_params(alice_material)).encode()
    ts = int(time.time())
    auth = authorization_header(secret_id=alice_key.secret_id, secret_key=alice_key.secret_key, body=body,
                                host="testserver", timestamp=ts)
    tampered = json.dumps({"ActivityId": alice_material.campaign.project_id, "Limit": 1}).encode()
    resp = Client().post("/", data=tampered, content_type="application/json", headers={
        "Host": "testserver", "Authorization": auth, "X-TC-Action": LIST, "X-TC-Version": "2022-09-27",
        "X-TC-Timestamp": str(ts)})
    assert resp.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_it_rejects_a_malformed_or_missing_authorization(alice_key, alice_material):
    ts = str(int(time.time()))
    for auth in (None, "Basic abc", "TC3-HMAC-SHA256 Credential=x"):
        headers = {"X-TC-Action": LIST, "X-TC-Version": "2022-09-27", "X-TC-Timestamp": ts}
        if auth:
            headers["Authorization"] = auth
        resp = Client().post("/", data=b"{}", content_type="application/json", headers=headers)
        assert resp.json()["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"


def test_its_verifier_takes_an_injected_clock():
    from api.errors import ApiError
    from api.tc3 import SignedRequest

    body = b"{}"
    ts = 1_700_000_000
    auth = authorization_header(secret_id="AKIDx", secret_key="k", body=body, host="h", timestamp=ts)
    req = SignedRequest(method="POST", path="/", query="", body=body,
                        headers={"authorization": auth, "x-tc-timestamp": str(ts), "content-type": "application/json",
                                 "host": "h"})
    parsed, _ = Tc3Verifier(clock=lambda: ts + 299).check_envelope(req)
    Tc3Verifier(clock=lambda: ts).verify(req, parsed, "k")
    try:
        Tc3Verifier(clock=lambda: ts + 301).check_envelope(req)
    except ApiError as exc:
        assert exc.code == "AuthFailure.SignatureExpire"
    else:
        raise AssertionError("expired signature accepted")


def test_it_accepts_an_unsigned_payload_header():
    import hashlib

    from api.tc3 import SignedRequest, canonical_request, sign, string_to_sign

    ts = 1_700_000_000
    canonical = canonical_request(method="POST", path="/", query="",
                                  headers={"content-type": "application/json", "host": "h"},
                                  signed_headers=("content-type", "host"),
                                  payload_hash=hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest(), lower_values=False)
    sig = sign(secret_key="k", date="2023-11-14", service="facefusion",
               to_sign=string_to_sign(timestamp=str(ts), date="2023-11-14", service="facefusion", canonical=canonical))
    auth = ("TC3-HMAC-SHA256 Credential=AKIDx/2023-11-14/facefusion/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={sig}")
    req = SignedRequest(method="POST", path="/", query="", body=b'{"any": "body"}',
                        headers={"authorization": auth, "x-tc-timestamp": str(ts), "content-type": "application/json",
                                 "host": "h", "x-tc-content-sha256": "UNSIGNED-PAYLOAD"})
    verifier = Tc3Verifier(clock=lambda: ts)
    parsed, _ = verifier.check_envelope(req)
    verifier.verify(req, parsed, "k")
