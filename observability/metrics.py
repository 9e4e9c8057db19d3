"""The metrics, defined once, and counted where their events happen (the apps call the helpers here).

prometheus_client keeps them in memory, or, when ``PROMETHEUS_MULTIPROC_DIR`` is set before it is
imported (gunicorn's and Celery's pool processes), in files of that folder that one scrape adds up
(observability/exposition.py). The figures that are read at scrape time instead (queue depths, the
review backlog, unsettled usage) are not here: each app contributes its own through
``settings.METRICS_COLLECTORS`` and ``gauge`` below.

Every name starts with ``ronghe_``; deploy/monitoring/ (the Grafana dashboard and the alert rules)
uses exactly these, and tests/observability/test_monitoring_files.py checks it.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

# Seconds: a FuseFace call takes about half a second on one core; the API waits 20 s at most.
_FUSION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0)

API_CALLS = Counter("ronghe_api_calls", "Cloud API calls answered, by action and result code (Success or the "
                    "error code).", ["action", "code"])
RATE_LIMIT_REFUSALS = Counter("ronghe_rate_limit_refusals", "API calls refused with RequestLimitExceeded by the "
                              "per-account rate limiter, by action.", ["action"])
LOGIN_LOCKOUTS = Counter("ronghe_login_lockouts", "Sign-in attempts refused because the login (or the device or "
                         "address trying it) is locked after too many failures.")
FUSION_ENGINE_SECONDS = Histogram("ronghe_fusion_engine_seconds", "Time the face engine took for one fusion job, "
                                  "in the worker, by action.", ["action"], buckets=_FUSION_BUCKETS)
FUSION_SECONDS = Histogram("ronghe_fusion_seconds", "A fusion job end to end, from the API call creating it to the "
                           "answer the caller gets (queue, engine, storage and delivery), by action and result "
                           "code.", ["action", "code"], buckets=_FUSION_BUCKETS)
FUSION_JOBS_RUNNING = Gauge("ronghe_fusion_jobs_running", "Fusion jobs a worker process is running now.",
                            multiprocess_mode="livesum")
TASKS = Counter("ronghe_celery_tasks", "Celery tasks finished, by task and state (SUCCESS, FAILURE, RETRY...).",
                ["task", "state"])


def api_call_count(*, action: str, code: str) -> None:
    API_CALLS.labels(action=action, code=code).inc()


def rate_limit_refusal_count(*, action: str) -> None:
    RATE_LIMIT_REFUSALS.labels(action=action).inc()


def login_lockout_count() -> None:
    LOGIN_LOCKOUTS.inc()


def fusion_engine_observe(*, action: str, seconds: float) -> None:
    FUSION_ENGINE_SECONDS.labels(action=action).observe(seconds)


def fusion_observe(*, action: str, code: str, seconds: float) -> None:
    FUSION_SECONDS.labels(action=action, code=code).observe(seconds)


def task_count(*, task: str, state: str) -> None:
    TASKS.labels(task=task, state=state).inc()


def gauge(name: str, documentation: str, *, labels: Iterable[str] = (),
          samples: Iterable[tuple[dict[str, str], float]] = (), value: float | None = None) -> GaugeMetricFamily:
    """One gauge read at scrape time, for an app's collector: a single ``value``, or one sample per
    label set (``samples``: labels, value; every sample carries all of ``labels``)."""
    if value is not None:
        return GaugeMetricFamily(name, documentation, value=value)
    names = list(labels)
    family = GaugeMetricFamily(name, documentation, labels=names)
    for sample_labels, sample in samples:
        family.add_metric([sample_labels[k] for k in names], sample)
    return family
