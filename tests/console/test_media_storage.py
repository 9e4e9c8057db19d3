"""Media storage on both backends: local files, and S3 through django-storages/boto3 against
moto's standalone S3 server on loopback. Signed links work until they expire, then fail."""

import hashlib
import hmac
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import parse_qsl, quote, urlsplit

import boto3
import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from console.media import signed_media_url, uses_s3

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(settings, moto_endpoint) -> str:
    bucket = f"ronghe-{uuid.uuid4().hex[:12]}"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1", **credentials).create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": bucket, "endpoint_url": moto_endpoint, "access_key": "testing",
                    "secret_key": "testing", "region_name": "us-east-1", "addressing_style": "path",
                    "signature_version": "s3v4",
                    "querystring_auth": True, "file_overwrite": False, "default_acl": None},
    }}
    return bucket


def _round_trip(name: str) -> str:
    stored = default_storage.save(name, ContentFile(b"\x89PNG fake but real bytes"))
    with default_storage.open(stored, "rb") as handle:
        assert handle.read() == b"\x89PNG fake but real bytes"
    assert default_storage.exists(stored)
    return stored


def test_it_saves_opens_and_deletes_local_files(settings):
    assert not uses_s3()
    stored = _round_trip("materials/a.png")
    assert (default_storage.path(stored)).startswith(str(settings.MEDIA_ROOT))
    # file_overwrite is off on both backends: a second save never replaces the first
    assert default_storage.save("materials/a.png", ContentFile(b"other")) != stored
    default_storage.delete(stored)
    assert not default_storage.exists(stored)


def test_it_serves_a_signed_local_link_until_it_expires():
    stored = _round_trip("results/r.png")
    url = signed_media_url(stored, expires_in=1, download_name="结果.png")
    client = Client()
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG fake but real bytes"
    assert "attachment" in response["Content-Disposition"]
    time.sleep(2.2)
    assert client.get(url).status_code == 404


def test_it_refuses_a_tampered_local_link():
    stored = _round_trip("results/t.png")
    url = signed_media_url(stored, expires_in=60)
    token = url.rstrip("/").rsplit("/", 1)[1]
    forged = url.replace(token, token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"))
    assert Client().get(forged).status_code == 404
    default_storage.delete(stored)
    assert Client().get(url).status_code == 404  # a deleted file is gone, link or not


def test_it_saves_opens_and_deletes_on_s3(s3_storage, moto_endpoint):
    assert uses_s3()
    stored = _round_trip("materials/s3.png")
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    assert client.get_object(Bucket=s3_storage, Key=stored)["Body"].read() == b"\x89PNG fake but real bytes"
    default_storage.delete(stored)
    assert not default_storage.exists(stored)


def _sigv4_check(url: str, *, secret_key: str, now: datetime) -> str:
    """What S3 itself decides for a presigned GET: "ok", "expired" or "bad signature".

    moto serves presigned links without checking them, so the test checks the link the way
    S3 does (AWS SigV4 query authentication) besides fetching it from moto.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if now > signed_at + timedelta(seconds=int(params["X-Amz-Expires"])):
        return "expired"
    enc = partial(quote, safe="-_.~")
    canonical_query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(query) if k != "X-Amz-Signature")
    assert params["X-Amz-SignedHeaders"] == "host"
    canonical = "\n".join(["GET", parts.path, canonical_query, f"host:{parts.netloc}", "", "host",
                            "UNSIGNED-PAYLOAD"])
    scope = params["X-Amz-Credential"].split("/", 1)[1]
    to_sign = "\n".join(["AWS4-HMAC-SHA256", params["X-Amz-Date"], scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret_key).encode()
    for piece in scope.split("/"):
        key = hmac.new(key, piece.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return "ok" if hmac.compare_digest(signature, params["X-Amz-Signature"]) else "bad signature"


def test_it_presigns_s3_links_that_expire(s3_storage):
    stored = _round_trip("results/s3.png")
    url = signed_media_url(stored, expires_in=1, download_name="result.png")
    assert "X-Amz-Expires=1&" in url and "X-Amz-Signature=" in url
    response = requests.get(url, timeout=10)
    assert response.status_code == 200 and response.content == b"\x89PNG fake but real bytes"
    assert "attachment" in response.headers.get("Content-Disposition", "")
    assert _sigv4_check(url, secret_key="testing", now=datetime.now(UTC)) == "ok"
    # A link whose lifetime is stretched by hand no longer matches its signature.
    stretched = url.replace("X-Amz-Expires=1&", "X-Amz-Expires=3600&")
    assert _sigv4_check(stretched, secret_key="testing", now=datetime.now(UTC)) == "bad signature"
    time.sleep(2.2)
    assert _sigv4_check(url, secret_key="testing", now=datetime.now(UTC)) == "expired"
