"""Errors reach Sentry (a real HTTP server here, where SENTRY_DSN points) with no image data and no
secret: the request body's base64, Authorization, X-TC-* headers, SecretKey fields and local variables
are scrubbed before anything is sent."""

import base64
import json

import pytest
import sentry_sdk
from django.test import Client

from observability.sentry import FILTERED, scrub, sentry_init

SECRET_KEY = "Zq7sK2mP9xVb4nR8tLw3cY6dH1fJ5gAe"  # the shape of a SecretKey: 32 letters and digits


@pytest.fixture
def sentry(sentry_inbox):
    sentry_init(dsn=sentry_inbox.dsn, environment="test")
    yield sentry_inbox
    sentry_sdk.flush(timeout=5)
    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)


@pytest.mark.urls("tests.observability.urls")
def test_it_reports_a_view_error_without_the_photo_or_the_secret(sentry, faces_dir, db):
    photo = base64.b64encode((faces_dir / "obama2.jpg").read_bytes()[:4000]).decode()
    body = {"SecretKey": SECRET_KEY, "MergeInfos": [{"Image": photo, "Url": "https://img.example.com/a.jpg"}]}
    client = Client(raise_request_exception=False)
    response = client.post("/fails/", data=json.dumps(body), content_type="application/json",
                           headers={"Authorization": "TC3-HMAC-SHA256 Credential=AKIDexample/2026-12-01/facefusion/"
                                                     "tc3_request, SignedHeaders=content-type;host, Signature=abc123",
                                    "X-TC-Timestamp": "1764547200", "X-TC-Action": "FuseFace"})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=10)
    envelope = sentry.wait_for(b"fusion failed for a photo")
    assert b"RuntimeError" in envelope
    assert photo[:64].encode() not in envelope and photo[-64:].encode() not in envelope
    assert SECRET_KEY.encode() not in envelope
    assert b"AKIDexample" not in envelope and b"1764547200" not in envelope
    assert b"img.example.com" not in envelope
    event = json.loads(next(line for line in envelope.splitlines() if b'"exception"' in line))
    assert all("vars" not in frame for value in event["exception"]["values"]
               for frame in value["stacktrace"]["frames"])
    # The body arrived as the view had it, its photo, URL and secret taken out.
    assert event["request"]["data"] == {"SecretKey": FILTERED, "MergeInfos": [{"Image": FILTERED, "Url": FILTERED}]}


def test_it_scrubs_base64_wherever_it_appears_and_keeps_paths_and_hashes():
    photo = base64.b64encode(bytes(range(256)) * 3).decode()
    path = "/work/ronghe/fusion/engine/ultra/templates/strips/blend/regions/faces/crops/meshes/x.py"
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    event = {"extra": {"celery-job": {"args": ["6b1e…", [photo]], "kwargs": {}}},
             "message": f"could not decode {photo} from {path} ({digest})",
             "request": {"headers": [["X-TC-Action", "FuseFace"], ["Content-Type", "application/json"]],
                         "data": {"ModelImage": "https://x.example/a.png", "secret_key_encrypted": "gAAAA..."}}}
    cleaned = scrub(event)
    assert cleaned["extra"]["celery-job"]["args"][1] == [FILTERED]
    assert photo not in cleaned["message"] and path in cleaned["message"] and digest in cleaned["message"]
    assert cleaned["request"]["headers"] == [["X-TC-Action", FILTERED], ["Content-Type", "application/json"]]
    assert cleaned["request"]["data"] == {"ModelImage": FILTERED, "secret_key_encrypted": FILTERED}
