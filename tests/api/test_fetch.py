"""The SSRF-safe fetcher against a real HTTP server on loopback.

Loopback is itself forbidden, so the tests that need the server to answer let exactly its
(address, port) through with ``allow``; every other private address — including another port on
loopback — stays refused, which is what the redirect cases check."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.errors import ApiError
from api.fetch import SafeFetcher, address_is_public

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        routes = {
            "/image.png": lambda: self._body(PNG),
            "/to-metadata": lambda: self._redirect("http://169.254.169.254/latest/meta-data/"),
            "/to-loopback": lambda: self._redirect(f"http://127.0.0.1:{self.server.other_port}/image.png"),
            "/to-private-name": lambda: self._redirect("http://internal.test/image.png"),
            "/to-mapped": lambda: self._redirect("http://[::ffff:127.0.0.1]/image.png"),
            "/to-self": lambda: self._redirect("/image.png"),
            "/loop": lambda: self._redirect("/loop"),
            "/big": lambda: self._body(b"x" * 5000),
            "/big-chunked": self._chunked,
            "/slow": self._slow,
            "/slow-headers": self._slow_headers,
            "/slow-ok": self._slow_ok,
            "/gzip": self._gzip,
            "/gzip-bomb": self._gzip_bomb,
            "/host": lambda: self._body(self.headers["Host"].encode()),
        }
        route = routes.get(self.path)
        if route is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        route()

    def _body(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _chunked(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for _ in range(10):
            self.wfile.write(b"3e8\r\n" + b"y" * 1000 + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def _slow(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "100")
        self.end_headers()
        try:
            for _ in range(100):
                self.wfile.write(b"z")
                self.wfile.flush()
                time.sleep(0.3)
        except OSError:
            pass


    def _slow_headers(self) -> None:
        """The probe's server: a status line, then one header byte at a time, forever (here: 30 s)."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        self.wfile.flush()
        try:
            for _ in range(60):
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass
        self.close_connection = True

    def _slow_ok(self) -> None:
        """A small image that takes about 1.2 s to arrive: fine alone, too slow twice in one budget."""
        self.send_response(200)
        self.send_header("Content-Length", "4")
        self.end_headers()
        try:
            for byte in b"\x89PNG":
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.4)
        except OSError:
            pass

    def _gzip(self) -> None:
        import gzip

        data = gzip.compress(PNG)
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _gzip_bomb(self) -> None:
        import gzip

        data = gzip.compress(b"\0" * (20 << 20))  # 20 MB of zeros in ~20 KB
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.other_port = httpd.server_address[1] + 1
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


def _code(fetcher: SafeFetcher, url: str) -> str:
    with pytest.raises(ApiError) as info:
        fetcher.fetch(url)
    return info.value.code


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/image.png",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:127.0.0.1]/image.png",
    "http://[::ffff:7f00:1]/image.png",
    "http://2130706433/image.png",
    "http://0x7f000001/image.png",
    "http://0177.0.0.1/image.png",
    "http://[::1]/image.png",
    "http://10.0.0.1/image.png",
    "http://192.168.1.1/image.png",
    "http://[fe80::1]/image.png",
    "http://[64:ff9b::a9fe:a9fe]/image.png",
    "http://0.0.0.0/image.png",
    "http://localhost/image.png",
])
def test_it_refuses_private_loopback_link_local_and_metadata_addresses(url):
    assert _code(SafeFetcher(timeout=3), url) == "InvalidParameterValue.UrlIllegal"


def test_it_refuses_the_test_server_itself_without_the_exact_exception(server):
    port = server.server_address[1]
    assert _code(SafeFetcher(), f"http://127.0.0.1:{port}/image.png") == "InvalidParameterValue.UrlIllegal"
    assert _code(SafeFetcher(), f"http://localhost:{port}/image.png") == "InvalidParameterValue.UrlIllegal"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/a.png", "gopher://x/", "http://user:pw@x/",
                                 "not a url", "http:///nohost"])
def test_it_refuses_other_schemes_and_credentials(url):
    assert _code(SafeFetcher(), url) == "InvalidParameterValue.UrlIllegal"


def test_it_refuses_a_name_resolving_to_a_private_address():
    fetcher = SafeFetcher(resolver=_resolver({"internal.test": ["10.0.0.7"]}))
    assert _code(fetcher, "http://internal.test/image.png") == "InvalidParameterValue.UrlIllegal"


def test_it_refuses_a_name_with_any_private_answer():
    fetcher = SafeFetcher(resolver=_resolver({"mixed.test": ["93.184.216.34", "127.0.0.1"]}))
    assert _code(fetcher, "http://mixed.test/image.png") == "InvalidParameterValue.UrlIllegal"


def test_it_fetches_from_an_allowed_server_sending_the_name_as_host(server):
    port = server.server_address[1]
    fetcher = SafeFetcher(resolver=_resolver({"images.test": ["127.0.0.1"]}), allow=[("127.0.0.1", port)])
    assert fetcher.fetch(f"http://images.test:{port}/image.png").data == PNG
    assert fetcher.fetch(f"http://images.test:{port}/host").data == f"images.test:{port}".encode()
    assert fetcher.fetch(f"http://images.test:{port}/to-self").data == PNG


@pytest.mark.parametrize("path", ["/to-metadata", "/to-loopback", "/to-private-name", "/to-mapped"])
def test_it_refuses_a_redirect_to_a_private_address(server, path):
    port = server.server_address[1]
    fetcher = SafeFetcher(resolver=_resolver({"internal.test": ["10.0.0.7"]}), allow=[("127.0.0.1", port)],
                          timeout=3)
    assert _code(fetcher, f"http://127.0.0.1:{port}{path}") == "InvalidParameterValue.UrlIllegal"


def test_it_stops_a_redirect_loop(server):
    port = server.server_address[1]
    fetcher = SafeFetcher(allow=[("127.0.0.1", port)])
    assert _code(fetcher, f"http://127.0.0.1:{port}/loop") == "FailedOperation.ImageDownloadError"


def test_it_caps_the_size_with_and_without_content_length(server):
    port = server.server_address[1]
    fetcher = SafeFetcher(allow=[("127.0.0.1", port)], max_bytes=4000)
    assert _code(fetcher, f"http://127.0.0.1:{port}/big") == "FailedOperation.ImageSizeExceed"
    assert _code(fetcher, f"http://127.0.0.1:{port}/big-chunked") == "FailedOperation.ImageSizeExceed"


def test_it_gives_up_at_the_deadline_on_a_dripping_server(server):
    port = server.server_address[1]
    fetcher = SafeFetcher(allow=[("127.0.0.1", port)], timeout=1.0)
    started = time.monotonic()
    assert _code(fetcher, f"http://127.0.0.1:{port}/slow") == "FailedOperation.ImageDownloadError"
    assert time.monotonic() - started < 4


def test_it_stops_a_server_dripping_its_headers_at_the_deadline(server):
    port = server.server_address[1]
    fetcher = SafeFetcher(allow=[("127.0.0.1", port)], timeout=2.0)
    started = time.monotonic()
    assert _code(fetcher, f"http://127.0.0.1:{port}/slow-headers") == "FailedOperation.ImageDownloadError"
    assert time.monotonic() - started < 2.5


def test_its_deadline_covers_every_fetch_it_makes(server):
    """One fetcher is one API call: its second URL gets what the first left of the budget."""
    port = server.server_address[1]
    fetcher = SafeFetcher(allow=[("127.0.0.1", port)], timeout=2.0)
    started = time.monotonic()
    assert fetcher.fetch(f"http://127.0.0.1:{port}/slow-ok").data == b"\x89PNG"
    assert _code(fetcher, f"http://127.0.0.1:{port}/slow-ok") == "FailedOperation.ImageDownloadError"
    assert time.monotonic() - started < 2.5
    # Even an instant answer is refused once the budget is spent.
    assert _code(fetcher, f"http://127.0.0.1:{port}/image.png") == "FailedOperation.ImageDownloadError"


def test_its_deadline_covers_a_tls_handshake_that_never_ends():
    """A listener that accepts and then dribbles bytes that never make a TLS ServerHello."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def dribble() -> None:
        conn, _ = listener.accept()
        with conn:
            while not stop.is_set():
                try:
                    conn.sendall(b"\x16")
                except OSError:
                    return
                time.sleep(0.5)

    threading.Thread(target=dribble, daemon=True).start()
    try:
        fetcher = SafeFetcher(allow=[("127.0.0.1", port)], timeout=2.0)
        started = time.monotonic()
        assert _code(fetcher, f"https://127.0.0.1:{port}/a.png") == "FailedOperation.ImageDownloadError"
        assert time.monotonic() - started < 2.5
    finally:
        stop.set()
        listener.close()


def test_it_decodes_gzip_and_caps_what_it_decompresses(server):
    port = server.server_address[1]
    fetcher = SafeFetcher(allow=[("127.0.0.1", port)], max_bytes=1 << 20)
    assert fetcher.fetch(f"http://127.0.0.1:{port}/gzip").data == PNG
    assert _code(fetcher, f"http://127.0.0.1:{port}/gzip-bomb") == "FailedOperation.ImageSizeExceed"


def test_one_fuseface_call_has_one_budget_for_all_its_urls_and_its_logo(server, alice_key, alice_material):
    """Six slow photo URLs and a slow LogoUrl: the call answers when the one budget is spent."""
    import json

    from django.test import RequestFactory

    from api.dispatch import handle
    from api.tc3 import authorization_header

    port = server.server_address[1]
    url = f"http://127.0.0.1:{port}/slow-ok"
    params = {"ProjectId": alice_material.campaign.project_id, "ModelId": alice_material.model_id,
              "RspImgType": "base64", "MergeInfos": [{"Url": url}] * 6, "LogoParam": {"LogoUrl": url}}
    body = json.dumps(params).encode()
    ts = int(time.time())
    auth = authorization_header(secret_id=alice_key.secret_id, secret_key=alice_key.secret_key, body=body,
                                host="testserver", timestamp=ts)
    request = RequestFactory().post("/", data=body, content_type="application/json", headers={
        "Host": "testserver", "Authorization": auth, "X-TC-Action": "FuseFace", "X-TC-Version": "2022-09-27",
        "X-TC-Timestamp": str(ts),
        "X-TC-Region": "ap-guangzhou"})
    started = time.monotonic()
    response = handle(request, fetcher=SafeFetcher(allow=[("127.0.0.1", port)], timeout=2.0))
    elapsed = time.monotonic() - started
    assert json.loads(response.content)["Response"]["Error"]["Code"] == "FailedOperation.ImageDownloadError"
    assert elapsed < 3.0, elapsed  # seven URLs of 1.2 s each: 8.4 s with a deadline per URL


def test_it_reports_a_missing_image_as_a_download_error(server):
    port = server.server_address[1]
    fetcher = SafeFetcher(allow=[("127.0.0.1", port)])
    assert _code(fetcher, f"http://127.0.0.1:{port}/nope.png") == "FailedOperation.ImageDownloadError"


def test_its_address_check_knows_the_ranges():
    import ipaddress

    for ok in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "1.1.1.1"):
        assert address_is_public(ipaddress.ip_address(ok)), ok
    for bad in ("127.0.0.1", "10.1.1.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1", "::1",
                "fc00::1", "fe80::1", "::ffff:10.0.0.1", "2002:7f00:1::", "224.0.0.1", "0.0.0.0", "255.255.255.255",
                "fec0::1", "fec0:0:0:ffff::1"):  # deprecated IPv6 site-local: still routed inside some networks
        assert not address_is_public(ipaddress.ip_address(bad)), bad
