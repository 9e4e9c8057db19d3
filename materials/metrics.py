"""The review backlog for ``/metrics``, read at scrape time (settings.METRICS_COLLECTORS)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric

from materials.selectors import review_backlog
from observability.metrics import gauge


def review_metrics() -> Iterator[Metric]:
    backlog = review_backlog()
    yield gauge("ronghe_review_backlog", "Materials waiting for a review decision, by who holds them "
                "(preprocess, machine, operator).", labels=["stage"],
                samples=[({"stage": stage}, row.waiting) for stage, row in backlog.items()])
    yield gauge("ronghe_review_oldest_age_seconds", "How long the oldest waiting material has waited (in the "
                "operator queue since it entered it, otherwise since upload); 0 when none waits.", labels=["stage"],
                samples=[({"stage": stage}, row.oldest_seconds) for stage, row in backlog.items()])
