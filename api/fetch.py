"""Fetch a caller's image URL without letting the caller reach inside our network (SSRF).

Every hop (the first URL and each redirect) is resolved here, every address it resolves to
must be public, and the connection goes to the address that was checked (so a DNS answer
that changes between check and connect — rebinding — cannot slip in). The whole fetch has
one deadline and the body a size cap.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from api import errors
from api.errors import ApiError

Resolver = Callable[[str, int], list[str]]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_REDIRECTS = 3
USER_AGENT = "Ronghe-ImageFetcher/1.0"

# Ranges that ipaddress does not already call non-global but that must never be reached:
# carrier-grade NAT, benchmarking, and the cloud metadata services' well-known addresses.
_EXTRA_BLOCKED = [ipaddress.ip_network(n) for n in ("100.64.0.0/10", "198.18.0.0/15", "192.0.0.0/24",
                                                     "169.254.0.0/16", "fd00:ec2::/32")]


class FetchError(ApiError):
    pass


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_v4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    if addr in ipaddress.ip_network("64:ff9b::/96") or addr in ipaddress.ip_network("::/96"):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def address_is_public(addr: IpAddress) -> bool:
    if isinstance(addr, ipaddress.IPv6Address):
        inner = _embedded_v4(addr)
        if inner is not None and not address_is_public(inner):
            return False
        addr = addr if addr.scope_id is None else ipaddress.IPv6Address(str(addr).split("%")[0])
    if not addr.is_global or addr.is_multicast or addr.is_reserved or addr.is_link_local:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local:  # fec0::/10: deprecated, still private
        return False
    return not any(addr in net for net in _EXTRA_BLOCKED if net.version == addr.version)


@dataclass(frozen=True)
class Fetched:
    data: bytes
    url: str
    content_type: str


class SafeFetcher:
    """``allow`` lists exact (address, port) pairs let through despite being private: a test's
    own HTTP server on loopback. Production code never passes it."""

    def __init__(self, *, resolver: Resolver = system_resolver, timeout: float = 10.0, max_bytes: int = 10 << 20,
                 allow: Iterable[tuple[str, int]] = (), clock: Callable[[], float] = time.monotonic) -> None:
        self.resolver = resolver
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow = frozenset((str(ipaddress.ip_address(a)), int(p)) for a, p in allow)
        self._clock = clock

    def _check_url(self, url: str) -> tuple[str, str, int, str]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise FetchError(errors.URL_ILLEGAL)
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username or parts.password:
            raise FetchError(errors.URL_ILLEGAL)
        port = port or (443 if parts.scheme == "https" else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return parts.scheme, parts.hostname, port, path

    def _resolve(self, host: str, port: int) -> str:
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
            candidates = [str(literal)]
        except ValueError:
            try:
                candidates = self.resolver(host, port)
            except (OSError, UnicodeError):
                raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        if not candidates:
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        # All answers must be public, not just the first: a name with one public and one private
        # record would otherwise reach the private one on a retry.
        for raw in candidates:
            addr = ipaddress.ip_address(raw.split("%")[0])
            if (str(addr), port) in self.allow:
                continue
            if not address_is_public(addr):
                raise FetchError(errors.URL_ILLEGAL)
        return str(ipaddress.ip_address(candidates[0].split("%")[0]))

    def fetch(self, url: str) -> Fetched:
        deadline = self._clock() + self.timeout
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            scheme, host, port, path = self._check_url(current)
            address = self._resolve(host, port)
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
            status, location, data, ctype = self._get(scheme, host, address, port, path, deadline)
            if status in (301, 302, 303, 307, 308):
                if not location:
                    raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
                current = urljoin(current, location)
                continue
            if status != 200:
                raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
            return Fetched(data=data, url=current, content_type=ctype)
        raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)

    def _get(self, scheme: str, host: str, address: str, port: int, path: str,
             deadline: float) -> tuple[int, str, bytes, str]:
        remaining = max(deadline - self._clock(), 0.01)
        # Each socket operation waits at most 2 s, and the deadline is checked between reads
        # of at most one recv each (read1), so a server dripping bytes cannot hold us past it.
        timeout = urllib3.Timeout(connect=min(remaining, 5.0), read=min(remaining, 2.0))
        host_header = host if port in (80, 443) else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
            host_header = f"[{host}]" if port in (80, 443) else f"[{host}]:{port}"
        headers = {"Host": host_header, "User-Agent": USER_AGENT, "Accept": "image/*"}
        # Connect to the checked address; TLS still verifies the certificate for the name.
        pool: urllib3.HTTPConnectionPool
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1,
                                               server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED")
        else:
            pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
        try:
            response = pool.urlopen("GET", path, headers=headers, redirect=False, preload_content=False,
                                    assert_same_host=False)
            try:
                if response.status in (301, 302, 303, 307, 308):
                    return response.status, response.headers.get("Location", ""), b"", ""
                if response.status != 200:
                    return response.status, "", b"", ""
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise FetchError(errors.IMAGE_SIZE_EXCEED)
                chunks: list[bytes] = []
                total = 0
                while True:
                    chunk = response.read1(64 * 1024, decode_content=True)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > self.max_bytes:
                        raise FetchError(errors.IMAGE_SIZE_EXCEED)
                    if self._clock() > deadline:
                        raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
                    chunks.append(chunk)
                return 200, "", b"".join(chunks), response.headers.get("Content-Type", "")
            finally:
                response.release_conn()
        except (Urllib3Error, OSError):
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        finally:
            pool.close()
