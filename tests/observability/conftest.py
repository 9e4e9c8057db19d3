"""Scraping /metrics the way Prometheus does, and reading its text back."""

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import _fast_passwords, alice_key  # noqa: F401 - shared fixtures

TOKEN = "metrics-token-for-tests-0123456789"


def parse(text: str) -> dict[tuple[str, tuple], float]:
    """Every sample: (name, sorted labels) → value."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def sample(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client: Client | None = None) -> dict[tuple[str, tuple], float]:
    response = (client or Client()).get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    return parse(response.content.decode())


# --- Sentry: a real HTTP server on loopback standing in for Sentry's ingestion ----------------------

class SentryInbox:
    """The envelopes Sentry's SDK sent (decompressed), as raw bytes."""

    def __init__(self, port: int) -> None:
        import gzip
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        envelopes: list[bytes] = []
        self.envelopes = envelopes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                envelopes.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.dsn = f"http://publickey@127.0.0.1:{self.server.server_address[1]}/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, needle: bytes, timeout: float = 30.0) -> bytes:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for envelope in self.envelopes:
                if needle in envelope:
                    return envelope
            time.sleep(0.1)
        raise AssertionError(f"no envelope with {needle!r} within {timeout} s; got {len(self.envelopes)}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sentry_inbox():
    inbox = SentryInbox(0)  # a free port: test files run side by side under xdist
    yield inbox
    inbox.close()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


WORKER_METRICS_PORT = _free_port()
