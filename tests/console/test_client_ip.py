"""The client's address behind reverse proxies: only what trusted proxies appended is believed."""

from django.test import RequestFactory

from console.client import client_ip


def _request(forwarded: str | None, remote: str = "10.0.0.2"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_it_uses_the_connections_address_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_ip(_request("203.0.113.7")) == "10.0.0.2"


def test_it_takes_the_entry_the_trusted_proxies_appended(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    # The client forged "1.1.1.1"; the proxy appended what it saw.
    assert client_ip(_request("1.1.1.1, 203.0.113.7")) == "203.0.113.7"
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_ip(_request("1.1.1.1, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


def test_it_falls_back_to_the_connection_when_the_header_is_short_or_missing(settings):
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_ip(_request("203.0.113.7")) == "10.0.0.2"
    assert client_ip(_request(None)) == "10.0.0.2"
    assert client_ip(None) == ""


def test_the_sign_in_lockout_counts_per_forwarded_client(settings, alice):
    from django.test import Client

    settings.TRUSTED_PROXY_HOPS = 1
    settings.LOGIN_FAILURE_LIMIT = 2
    for i in range(8):  # an address gets four times the per-name limit
        Client(HTTP_X_FORWARDED_FOR="198.51.100.1").post("/login/", {"username": f"nobody-{i}", "password": "x"})
    blocked = Client(HTTP_X_FORWARDED_FOR="198.51.100.1").post("/login/", {"username": "nobody-else",
                                                                             "password": "x"})
    other = Client(HTTP_X_FORWARDED_FOR="198.51.100.2").post("/login/", {"username": "nobody-else",
                                                                           "password": "x"})
    assert "过多" in blocked.content.decode() and "过多" not in other.content.decode()
