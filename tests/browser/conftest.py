"""Fixtures the browser tests share with other folders' tests."""

from tests.billing.conftest import seller  # noqa: F401  (a fixture, used by name)
