"""TC3-HMAC-SHA256 request signatures, verified exactly as Tencent Cloud computes them.

https://cloud.tencent.com/document/api/1122/37732 (签名方法 v3). The verifier takes its clock
as a parameter (like ``django.contrib.auth.tokens``) so tests can skew it, and compares
signatures in constant time.

The official clients differ in two inputs of the signature, and both forms are accepted:

- the credential scope's service: the Python SDK names it (``facefusion``); the Node.js SDK takes
  the endpoint up to its first dot (``127`` for ``127.0.0.1:8131``, ``ronghe`` for
  ``ronghe.example.com``). Accepted: ``facefusion``, or the first label of the Host called.
- the canonical ``host:`` line: the Python SDK signs the Host header as sent (``host:port``), the
  Node.js SDK the host name without the port. Accepted: either.

Neither widens what a forger can do: every form still needs the SecretKey, and the timestamp
window and the scope's date are checked exactly as before.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from api import errors
from api.errors import ApiError

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "facefusion"
MAX_SKEW_SECONDS = 300
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() also accepts "17²"
_PORT_RE = re.compile(r":[0-9]+$")

_AUTH_RE = re.compile(
    r"^TC3-HMAC-SHA256\s+Credential=(?P<secret_id>[^/,\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/,\s]+)"
    r"/tc3_request\s*,\s*SignedHeaders=(?P<signed>[a-z0-9;\-]+)\s*,\s*Signature=(?P<signature>[0-9a-fA-F]{64})\s*$"
)


@dataclass(frozen=True)
class Authorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(header: str) -> Authorization:
    match = _AUTH_RE.match(header.strip())
    if not match:
        raise ApiError(errors.AUTH_INVALID_AUTHORIZATION)
    signed = tuple(match["signed"].split(";"))
    # Content-Type and Host are what every SDK signs; without them the body could be re-labelled.
    if "content-type" not in signed or "host" not in signed:
        raise ApiError(errors.AUTH_INVALID_AUTHORIZATION)
    return Authorization(secret_id=match["secret_id"], date=match["date"], service=match["service"],
                         signed_headers=signed, signature=match["signature"].lower())


def host_without_port(host: str) -> str:
    """``example.com:8131`` → ``example.com``, ``[::1]:8131`` → ``[::1]``; no port: unchanged."""
    host = host.strip()
    if host.startswith("[") or host.count(":") == 1:
        return _PORT_RE.sub("", host)
    return host


def accepted_services(host: str) -> frozenset[str]:
    """The credential-scope services a client calling ``host`` may sign with (lower case)."""
    host = host.strip().lower()
    services = {SERVICE}
    if host:
        # What the Node.js SDK does with its endpoint (the Host as sent), and the same for a Host
        # whose port a proxy dropped.
        services.add(host.split(".", 1)[0])
        services.add(host_without_port(host).split(".", 1)[0])
    return frozenset(services)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, service: str) -> bytes:
    secret_date = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    secret_service = _hmac(secret_date, service)
    return _hmac(secret_service, "tc3_request")


def canonical_request(*, method: str, path: str, query: str, headers: Mapping[str, str],
                      signed_headers: tuple[str, ...], payload_hash: str, lower_values: bool) -> str:
    lines = []
    for name in signed_headers:
        value = headers.get(name, "").strip()
        lines.append(f"{name}:{value.lower() if lower_values else value}\n")
    return "\n".join([method, path, query, "".join(lines), ";".join(signed_headers), payload_hash])


def string_to_sign(*, timestamp: str, date: str, service: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{timestamp}\n{date}/{service}/tc3_request\n{digest}"


def sign(*, secret_key: str, date: str, service: str, to_sign: str) -> str:
    return hmac.new(signing_key(secret_key, date, service), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedRequest:
    """What the verifier needs from an HTTP request; headers keyed in lower case."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes


class Tc3Verifier:
    def __init__(self, *, clock: Callable[[], float] = time.time, max_skew: int = MAX_SKEW_SECONDS,
                 regions: Iterable[str] | None = None) -> None:
        self._clock = clock
        self.max_skew = max_skew
        if regions is None:
            from django.conf import settings

            regions = settings.API_REGIONS
        self.regions = frozenset(regions)

    def _now(self) -> float:
        return self._clock()

    def check_envelope(self, req: SignedRequest) -> tuple[Authorization, int]:
        """Parse the header and check the timestamp window: everything that needs no key."""
        header = req.headers.get("authorization", "")
        if not header:
            raise ApiError(errors.AUTH_INVALID_AUTHORIZATION)
        auth = parse_authorization(header)
        raw_ts = req.headers.get("x-tc-timestamp", "").strip()
        if not _TIMESTAMP_RE.fullmatch(raw_ts):
            raise errors.missing("X-TC-Timestamp") if not raw_ts else errors.invalid("X-TC-Timestamp")
        timestamp = int(raw_ts)
        # No nonce in API 3.0: this window is the whole of the replay protection.
        if abs(self._now() - timestamp) > self.max_skew:
            raise ApiError(errors.AUTH_SIGNATURE_EXPIRE)
        # One deployment is one region: a client may leave the header out (the Node.js SDK does when
        # it is given none), but a region it names must be one this deployment answers for.
        region = req.headers.get("x-tc-region", "").strip()
        if region and region not in self.regions:
            raise ApiError(errors.UNSUPPORTED_REGION)
        host = req.headers.get("host", "")
        if auth.service.lower() not in accepted_services(host):
            first_label = host_without_port(host).split(".", 1)[0]
            raise ApiError(errors.AUTH_SIGNATURE_FAILURE,
                           f"The credential scope's service must be {SERVICE} or {first_label} (the first label "
                           f"of the host called), not {auth.service}.")
        if datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d") != auth.date:
            raise ApiError(errors.AUTH_SIGNATURE_FAILURE,
                           "The credential scope's date must be the UTC date of X-TC-Timestamp.")
        return auth, timestamp

    def verify(self, req: SignedRequest, auth: Authorization, secret_key: str) -> None:
        if req.headers.get("x-tc-content-sha256", "").strip() == UNSIGNED_PAYLOAD:
            payload_hash = hashlib.sha256(UNSIGNED_PAYLOAD.encode()).hexdigest()
        else:
            payload_hash = hashlib.sha256(req.body).hexdigest()
        timestamp = req.headers.get("x-tc-timestamp", "").strip()
        host = req.headers.get("host", "").strip()
        # The Python SDK signs the Host as sent, the Node.js SDK without its port.
        header_forms = [req.headers]
        if host_without_port(host) != host:
            header_forms.append({**req.headers, "host": host_without_port(host)})
        ok = False
        # The documentation lower-cases header values, the official SDKs sign them as sent;
        # the cloud accepts both, so do we. Every comparison always runs (constant time).
        for headers in header_forms:
            for lower in (False, True):
                canonical = canonical_request(method=req.method, path=req.path, query=req.query, headers=headers,
                                              signed_headers=auth.signed_headers, payload_hash=payload_hash,
                                              lower_values=lower)
                expected = sign(secret_key=secret_key, date=auth.date, service=auth.service,
                                to_sign=string_to_sign(timestamp=timestamp, date=auth.date, service=auth.service,
                                                       canonical=canonical))
                ok |= hmac.compare_digest(expected, auth.signature)
        if not ok:
            raise ApiError(errors.AUTH_SIGNATURE_FAILURE)


def authorization_header(*, secret_id: str, secret_key: str, body: bytes, host: str, timestamp: int,
                         content_type: str = "application/json", path: str = "/", method: str = "POST",
                         service: str = SERVICE) -> str:
    """The header a client sends; for tests and the benchmark's own client. ``host`` is what goes on
    the canonical ``host:`` line (the Node.js SDK's form leaves the port out)."""
    date = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
    canonical = canonical_request(method=method, path=path, query="",
                                  headers={"content-type": content_type, "host": host},
                                  signed_headers=("content-type", "host"),
                                  payload_hash=hashlib.sha256(body).hexdigest(), lower_values=False)
    signature = sign(secret_key=secret_key, date=date, service=service,
                     to_sign=string_to_sign(timestamp=str(timestamp), date=date, service=service,
                                            canonical=canonical))
    return (f"{ALGORITHM} Credential={secret_id}/{date}/{service}/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}")
