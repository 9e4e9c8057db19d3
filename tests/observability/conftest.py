"""Scraping /metrics the way Prometheus does, and reading its text back."""

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
