"""Unsettled usage for ``/metrics``, read at scrape time (settings.METRICS_COLLECTORS)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric

from billing.selectors import usage_unsettled
from observability.metrics import gauge


def usage_metrics() -> Iterator[Metric]:
    unsettled = usage_unsettled()
    yield gauge("ronghe_usage_unsettled", "Usage records not settled yet.", value=unsettled.records)
    yield gauge("ronghe_usage_unsettled_oldest_age_seconds", "Age of the oldest unsettled usage record; 0 when "
                "all are settled.", value=unsettled.oldest_seconds)
