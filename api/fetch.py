"""Fetch a caller's image URL without letting the caller reach inside our network (SSRF).

Every hop (the first URL and each redirect) is resolved here, every address it resolves to
must be public, and the connection goes to the address that was checked (so a DNS answer
that changes between check and connect — rebinding — cannot slip in). The body has a size cap.

**One deadline per fetcher.** A ``SafeFetcher`` is one API call's budget: every fetch it makes
(all of a FuseFace's URLs and its LogoUrl, and their redirects) ends by ``timeout`` seconds after
its first fetch began. The budget is enforced in the socket: before each blocking operation —
connect, TLS handshake, sending the request, and every single ``recv`` of the status line,
headers and body — the socket's timeout is set to what is left of it. A server that sends one
header byte a second cannot hold a web thread past the deadline, because it is the sum of the
waits that is bounded, not each wait. (Python bounds a whole ``connect``, ``do_handshake`` and
``sendall`` by the timeout, and a ``recv`` by the timeout each; the reader below re-arms it.)

The HTTP/1.1 exchange is written here, on the socket, rather than through a client library, so
that no library-internal read can wait on its own clock: one ``GET`` with ``Connection: close``,
a status line, at most 100 header lines, a body by Content-Length, chunks, or until close, and
gzip/deflate decoded under the same cap (a server may compress although we ask for identity).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from api import errors
from api.errors import ApiError

Resolver = Callable[[str, int], list[str]]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_REDIRECTS = 3
USER_AGENT = "Ronghe-ImageFetcher/1.0"
MAX_LINE_BYTES = 8192  # a status line, a header line or a chunk-size line
MAX_HEADERS = 100
READ_BYTES = 64 * 1024
# Printable ASCII stays as the caller wrote it; spaces, controls and non-ASCII are percent-encoded.
_PATH_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))

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


class _Exchange:
    """One HTTP/1.1 request and response on one socket, inside the fetcher's deadline."""

    def __init__(self, sock: socket.socket, *, deadline: float, clock: Callable[[], float]) -> None:
        self.sock = sock
        self.deadline = deadline
        self.clock = clock
        self.buffer = b""
        self.eof = False

    def arm(self) -> None:
        """Give the next blocking operation what is left of the budget, and nothing more."""
        remaining = self.deadline - self.clock()
        if remaining <= 0:
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        self.sock.settimeout(remaining)

    def _recv(self) -> bytes:
        self.arm()
        data = self.sock.recv(READ_BYTES)
        if not data:
            self.eof = True
        return data

    def readline(self) -> bytes:
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_LINE_BYTES:
                raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
            data = self._recv()
            if not data:
                raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        if len(line) > MAX_LINE_BYTES:
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        return line.rstrip(b"\r")

    def read_exactly(self, n: int) -> Iterator[bytes]:
        while n > 0:
            if not self.buffer:
                self.buffer = self._recv()
                if not self.buffer:
                    raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)  # closed before Content-Length
            piece, self.buffer = self.buffer[:n], self.buffer[n:]
            n -= len(piece)
            yield piece

    def read_to_close(self) -> Iterator[bytes]:
        if self.buffer:
            piece, self.buffer = self.buffer, b""
            yield piece
        while not self.eof:
            data = self._recv()
            if data:
                yield data

    def read_chunked(self) -> Iterator[bytes]:
        while True:
            size_text = self.readline().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
            if size < 0:
                raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
            if size == 0:
                return  # trailers are not read: the connection is closed right after
            yield from self.read_exactly(size)
            self.readline()  # the CRLF after the chunk

    def response_head(self) -> tuple[int, dict[str, str]]:
        while True:
            parts = self.readline().split(None, 2)
            if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
                raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
            status = int(parts[1])
            headers: dict[str, str] = {}
            for _ in range(MAX_HEADERS + 1):
                line = self.readline()
                if not line:
                    break
                name, sep, value = line.decode("latin-1").partition(":")
                if not sep:
                    raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
                headers[name.strip().lower()] = value.strip()
            else:
                raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)  # more than MAX_HEADERS header lines
            if 100 <= status < 200:
                continue  # an interim answer (100 Continue, 103 Early Hints): the real one follows
            return status, headers


class _CappedBody:
    """Collects the decoded body and stops as soon as it exceeds the cap (decompression included)."""

    def __init__(self, encoding: str, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.parts: list[bytes] = []
        self.size = 0
        if encoding in ("", "identity"):
            self.decoder = None
        elif encoding in ("gzip", "x-gzip"):
            self.decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.decoder = zlib.decompressobj()
        else:
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)

    def _take(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise FetchError(errors.IMAGE_SIZE_EXCEED)
        self.parts.append(data)

    def feed(self, data: bytes) -> None:
        if self.decoder is None:
            self._take(data)
            return
        try:
            self._take(self.decoder.decompress(data, self.max_bytes - self.size + 1))
            while self.decoder.unconsumed_tail:
                self._take(self.decoder.decompress(self.decoder.unconsumed_tail, self.max_bytes - self.size + 1))
        except zlib.error:
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)

    def value(self) -> bytes:
        return b"".join(self.parts)


class SafeFetcher:
    """``allow`` lists exact (address, port) pairs let through despite being private: the
    deployment's own image servers (``API_FETCH_ALLOW``, empty by default), a test's HTTP server.

    One instance is one budget of ``timeout`` seconds, shared by all its fetches (see the module's
    docstring): make one per API call."""

    def __init__(self, *, resolver: Resolver = system_resolver, timeout: float = 10.0, max_bytes: int = 10 << 20,
                 allow: Iterable[tuple[str, int]] = (), clock: Callable[[], float] = time.monotonic) -> None:
        self.resolver = resolver
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow = frozenset((str(ipaddress.ip_address(a)), int(p)) for a, p in allow)
        self._clock = clock
        self._deadline: float | None = None

    @property
    def deadline(self) -> float:
        """When every fetch of this fetcher must be done: ``timeout`` after the first one began."""
        if self._deadline is None:
            self._deadline = self._clock() + self.timeout
        return self._deadline

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
        return parts.scheme, parts.hostname, port, quote(path, safe=_PATH_SAFE)

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
        deadline = self.deadline
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            scheme, host, port, path = self._check_url(current)
            address = self._resolve(host, port)
            if deadline - self._clock() <= 0:
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

    def _connect(self, scheme: str, host: str, address: str, port: int, deadline: float) -> socket.socket:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        # Connect to the checked address; TLS still verifies the certificate for the name.
        sock = socket.create_connection((address, port), timeout=remaining)
        if scheme != "https":
            return sock
        try:
            tls = ssl.create_default_context().wrap_socket(sock, server_hostname=host,
                                                           do_handshake_on_connect=False)
            tls.settimeout(max(deadline - self._clock(), 0.001))
            tls.do_handshake()  # bounded as a whole by the timeout (Python >= 3.5)
            return tls
        except BaseException:
            sock.close()
            raise

    def _get(self, scheme: str, host: str, address: str, port: int, path: str,
             deadline: float) -> tuple[int, str, bytes, str]:
        try:
            name = host.encode("idna").decode("ascii")  # an internationalised name goes out as its A-label
        except UnicodeError:
            raise FetchError(errors.URL_ILLEGAL)
        host_header = name if port in (80, 443) else f"{name}:{port}"
        if ":" in name and not name.startswith("["):
            host_header = f"[{name}]" if port in (80, 443) else f"[{name}]:{port}"
        request = (f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
                   "Accept: image/*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n")
        try:
            sock = self._connect(scheme, name, address, port, deadline)
        except (OSError, ssl.SSLError):
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        try:
            exchange = _Exchange(sock, deadline=deadline, clock=self._clock)
            exchange.arm()
            sock.sendall(request.encode("ascii"))  # bounded as a whole by the timeout
            status, headers = exchange.response_head()
            if status in (301, 302, 303, 307, 308):
                return status, headers.get("location", ""), b"", ""
            if status != 200:
                return status, "", b"", ""
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_bytes:
                raise FetchError(errors.IMAGE_SIZE_EXCEED)
            body = _CappedBody(headers.get("content-encoding", "").lower(), self.max_bytes)
            if "chunked" in headers.get("transfer-encoding", "").lower():
                pieces = exchange.read_chunked()
            elif length.isdigit():
                pieces = exchange.read_exactly(int(length))
            else:
                pieces = exchange.read_to_close()
            for piece in pieces:
                body.feed(piece)
            return 200, "", body.value(), headers.get("content-type", "")
        except (OSError, ssl.SSLError, UnicodeError):
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        finally:
            sock.close()


def _put_budget(size: int) -> float:
    # 10 s, plus a second per megabyte (a 200 MB result at 1.6 Mbit/s at worst).
    return 10.0 + size / 1_000_000


class SafeUploader(SafeFetcher):
    """PUT a file to a caller's presigned URL (SubmitVideoFaceFusionJob's UserDesignatedUrl) under the
    rules of fetching: every address of the URL public, the connection pinned to the checked address,
    one deadline for the whole upload re-armed before every send and receive, and no redirect
    followed (a presigned PUT URL answers 2xx or has failed)."""

    def put(self, url: str, path: str | os.PathLike[str], *, content_type: str) -> int:
        """The answer's status code; FetchError when the URL is refused or the upload fails."""
        scheme, host, port, target = self._check_url(url)
        address = self._resolve(host, port)
        deadline = self.deadline
        try:
            name = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError(errors.URL_ILLEGAL)
        host_header = name if port in (80, 443) else f"{name}:{port}"
        size = os.path.getsize(path)
        head = (f"PUT {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n")
        try:
            sock = self._connect(scheme, name, address, port, deadline)
        except (OSError, ssl.SSLError):
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        try:
            exchange = _Exchange(sock, deadline=deadline, clock=self._clock)
            exchange.arm()
            sock.sendall(head.encode("ascii"))
            with open(path, "rb") as body:
                while chunk := body.read(READ_BYTES):
                    exchange.arm()
                    sock.sendall(chunk)
            status, _headers = exchange.response_head()
            return status
        except (OSError, ssl.SSLError, UnicodeError):
            raise FetchError(errors.IMAGE_DOWNLOAD_ERROR)
        finally:
            sock.close()


def check_destination(fetcher: SafeFetcher, url: str) -> None:
    """Refuse (FetchError) a URL that an upload would refuse, without sending anything."""
    _scheme, host, port, _target = fetcher._check_url(url)
    fetcher._resolve(host, port)


def presigned_put(url: str, path: str | os.PathLike[str], *, content_type: str,
                  allow: Iterable[tuple[str, int]] = ()) -> bool:
    """settings.VIDEO_RESULT_UPLOADER: True when the caller's URL took the file (a 2xx answer)."""
    uploader = SafeUploader(allow=allow, timeout=_put_budget(os.path.getsize(path)))
    return 200 <= uploader.put(url, path, content_type=content_type) < 300
