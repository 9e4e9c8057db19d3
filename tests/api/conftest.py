"""API fixtures: an API key per tenant, an approved material (reviewed by the real automatic
review, synchronously), and a client that signs requests with TC3-HMAC-SHA256."""

import io
import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from api.tc3 import authorization_header


@dataclass
class ApiKey:
    secret_id: str
    secret_key: str
    credential: object


def make_key(member) -> ApiKey:
    from console.services import credential_create

    new = credential_create(member=member, description="tests")
    return ApiKey(secret_id=new.credential.secret_id, secret_key=new.secret_key, credential=new.credential)


@pytest.fixture
def alice_key(alice) -> ApiKey:
    return make_key(alice.developer)


@pytest.fixture
def bob_key(bob) -> ApiKey:
    return make_key(bob.developer)


def template_bytes(path: Path, *, max_side: int = 1080, max_bytes: int = 500 * 1024) -> bytes:
    """The photo as a valid material upload (≤ 1080 px, ≤ 500 KB), keeping its format."""
    data = path.read_bytes()
    img = Image.open(io.BytesIO(data))
    if max(img.size) <= max_side and len(data) <= max_bytes:
        return data
    img = img.convert("RGB")
    img.thumbnail((max_side, max_side))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()


def approved_material(tenant, path: Path, *, version: str = "faceswap", campaign=None):
    from campaigns.services import campaign_create
    from materials.models import Material
    from materials.review import material_review_run
    from materials.services import material_create

    if campaign is None:
        campaign = campaign_create(account=tenant.account, actor=tenant.owner.user, name="测试活动", version=version)
    material = material_create(account=tenant.account, campaign=campaign, actor=tenant.owner.user,
                               data=template_bytes(path), filename=path.name)
    material_review_run(material_id=material.id)
    material = Material.objects.select_related("campaign").get(id=material.id)
    assert material.is_usable, (material.status, material.audit_result)
    return material


@pytest.fixture
def alice_material(alice, faces_dir):
    return approved_material(alice, faces_dir / "astronaut_collins.png")


@pytest.fixture
def bob_material(bob, faces_dir):
    # Another picture than alice's: the review flags a copy of another account's material.
    return approved_material(bob, faces_dir / "obama2.jpg")


def signed_post(client: Client, key: ApiKey, action: str, params: dict, *, version: str = "2022-09-27",
                path: str = "/", timestamp: int | None = None, headers: dict | None = None,
                secret_key: str | None = None) -> dict:
    body = json.dumps(params).encode()
    ts = int(time.time()) if timestamp is None else timestamp
    auth = authorization_header(secret_id=key.secret_id, secret_key=secret_key or key.secret_key, body=body,
                                host="testserver", timestamp=ts, path=path)
    all_headers = {"Host": "testserver", "Authorization": auth, "X-TC-Action": action, "X-TC-Version": version,
                   "X-TC-Timestamp": str(ts), "X-TC-Region": "ap-guangzhou", **(headers or {})}
    response = client.post(path, data=body, content_type="application/json", headers=all_headers)
    assert response.status_code == 200, response.content[:300]
    return response.json()["Response"]


def error_code(resp: dict) -> str | None:
    return resp.get("Error", {}).get("Code")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Tenants are created per test (five logins each); the production hasher would dominate the runtime.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def reset_rate_limits() -> None:
    """Forget every account's rate-limit state (it lives in the throttle cache, beside the throttles)."""
    from console.counters import throttle_cache

    throttle_cache.clear()
class ImageServer:
    """A plain HTTP server on loopback serving the files it is given (``put``), for caller URLs.
    Loopback is refused by the fetcher: tests let exactly this server through with API_FETCH_ALLOW."""

    def __init__(self, port: int = 0) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        files: dict[str, bytes] = {}
        self.files = files

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        # Port 0: a free one, so test processes running side by side never collide.
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def put(self, path: str, data: bytes) -> str:
        self.files[path] = data
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def image_server(settings):
    """An image server on a free loopback port that the API may fetch from (API_FETCH_ALLOW)."""
    server = ImageServer()
    settings.API_FETCH_ALLOW = [("127.0.0.1", server.port)]
    yield server
    server.close()


@pytest.fixture
def ultra_on(operator):
    """Turns FuseFaceUltra on for a tenant, as an operator does on the account's billing page."""
    from billing.services import ultra_access_set

    def turn_on(tenant):
        ultra_access_set(account=tenant.account, action="enable", actor=operator)
        return tenant

    return turn_on
