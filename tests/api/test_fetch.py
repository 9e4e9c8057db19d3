"""The SSRF-safe fetcher against a real HTTP server on loopback.

Loopback is itself forbidden, so the tests that need the server to answer let exactly its
(address, port) through with ``allow``; every other private address — including another port on
loopback — stays refused, which is what the redirect cases check."""

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
