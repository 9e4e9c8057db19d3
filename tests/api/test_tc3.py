"""TC3-HMAC-SHA256 verification at the endpoint: every way a signature can be wrong."""

import json
import time

import pytest
from django.test import Client

from api.tc3 import Tc3Verifier, authorization_header
from tests.api.conftest import error_code, reset_rate_limits, signed_post

LIST = "DescribeMaterialList"


def _params(material) -> dict:
    return {"ActivityId": material.campaign.project_id}


def test_it_accepts_a_valid_signature_on_both_paths(alice_key, alice_material):

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
    from console.services import credential_transition

    credential_transition(credential=alice_key.credential, by=alice.owner, action="disable")
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


def _post_as(key, material, *, host_header: str, signed_host: str, service: str, secret_key: str | None = None,
             timestamp: str | None = None, region: str | None = "ap-guangzhou") -> dict:
    """A call signed the way a given client signs: ``signed_host`` on the canonical host line and
    ``service`` in the credential scope, sent with ``host_header`` as Host."""
    reset_rate_limits()  # DescribeMaterialList is limited to 1 QPS
    body = json.dumps(_params(material)).encode()
    ts = int(time.time())
    auth = authorization_header(secret_id=key.secret_id, secret_key=secret_key or key.secret_key, body=body,
                                host=signed_host, timestamp=ts, service=service)
    headers = {"Host": host_header, "Authorization": auth, "X-TC-Action": LIST, "X-TC-Version": "2022-09-27",
               "X-TC-Timestamp": timestamp or str(ts)}
    if region is not None:
        headers["X-TC-Region"] = region
    return Client().post("/", data=body, content_type="application/json", headers=headers).json()["Response"]


@pytest.mark.parametrize(("host_header", "signed_host", "service"), [
    # The Node.js SDK: the endpoint up to its first dot as the service, the host name without the port.
    ("127.0.0.1:8131", "127.0.0.1", "127"),
    ("facefusion.ronghe.test:8131", "facefusion.ronghe.test", "facefusion"),
    ("ronghe.example.com", "ronghe.example.com", "ronghe"),
    ("localhost:8131", "localhost", "localhost:8131"),
    ("[::1]:8131", "[::1]", "[::1]:8131"),
    # The Python SDK: facefusion, and the Host as sent.
    ("127.0.0.1:8131", "127.0.0.1:8131", "facefusion"),
    ("ronghe.example.com", "ronghe.example.com", "facefusion"),
])
def test_it_accepts_every_official_clients_service_and_host(alice_key, alice_material, host_header, signed_host,
                                                             service):
    resp = _post_as(alice_key, alice_material, host_header=host_header, signed_host=signed_host, service=service)
    assert "Error" not in resp, resp
    assert resp["Count"] == 1


@pytest.mark.parametrize(("host_header", "signed_host", "service", "code"), [
    # A service that is neither facefusion nor the host's first label.
    ("ronghe.example.com", "ronghe.example.com", "cvm", "AuthFailure.SignatureFailure"),
    ("127.0.0.1:8131", "127.0.0.1", "ronghe", "AuthFailure.SignatureFailure"),
    # Another host, or another port, than the one called.
    ("ronghe.example.com", "other.example.com", "ronghe", "AuthFailure.SignatureFailure"),
    ("127.0.0.1:8131", "127.0.0.1:9999", "127", "AuthFailure.SignatureFailure"),
])
def test_it_still_refuses_a_service_or_host_the_client_did_not_call(alice_key, alice_material, host_header,
                                                                    signed_host, service, code):
    resp = _post_as(alice_key, alice_material, host_header=host_header, signed_host=signed_host, service=service)
    assert resp["Error"]["Code"] == code


def test_it_refuses_a_wrong_secret_key_in_the_nodejs_form(alice_key, alice_material):
    resp = _post_as(alice_key, alice_material, host_header="127.0.0.1:8131", signed_host="127.0.0.1", service="127",
                    secret_key="0" * 32)
    assert resp["Error"]["Code"] == "AuthFailure.SignatureFailure"


@pytest.mark.parametrize("timestamp", ["17²", "１７００００００００", "1e9", "-1", "1700000000.5", "9" * 40])
def test_it_answers_a_malformed_timestamp_with_a_parameter_error(alice_key, alice_material, timestamp):
    resp = _post_as(alice_key, alice_material, host_header="testserver", signed_host="testserver",
                    service="facefusion", timestamp=timestamp)
    assert resp["Error"]["Code"] == "InvalidParameterValue", resp
    assert "X-TC-Timestamp" in resp["Error"]["Message"]


def test_it_checks_the_region_when_one_is_named(alice_key, alice_material):
    for region, code in (("ap-guangzhou", None), ("ap-shanghai", None), (None, None),
                         ("mars-north-1", "UnsupportedRegion"), ("ap-guangzhou\\x00", "UnsupportedRegion")):
        resp = _post_as(alice_key, alice_material, host_header="testserver", signed_host="testserver",
                        service="facefusion", region=region)
        assert resp.get("Error", {}).get("Code") == code, (region, resp)
