"""``/metrics``: the metrics in Prometheus' text format, for a scraper holding ``METRICS_TOKEN``.

In multi-process mode (``PROMETHEUS_MULTIPROC_DIR``, which gunicorn's workers and Celery's pool
processes share on one host) the counters of every process of the service are read from that folder
and added up; otherwise this process's own are shown. The web's endpoint also reads the figures of the
whole deployment at scrape time (``settings.METRICS_COLLECTORS``: queue depths, review backlog,
unsettled usage...), a Celery worker's (``METRICS_WORKER_PORT``, observability/celery.py) only its
own counters: scrape every web and worker process, and aggregate the deployment-wide gauges with
``max`` (every web node reports the same value).
"""

from __future__ import annotations

import hmac
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

log = logging.getLogger(__name__)


def token_ok(authorization: str) -> bool:
    """Whether an ``Authorization`` header carries the metrics token (never, when none is set)."""
    token = settings.METRICS_TOKEN
    if not token:
        return False
    given = authorization.removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), token.encode())


class _ScrapeTimeCollector:
    """The apps' figures, read from the database and Redis at each scrape. A collector that fails
    (Redis down) is left out of this scrape and says so in ``ronghe_metrics_collector_up``."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.paths = list(paths)

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("ronghe_metrics_collector_up", "Whether a scrape-time collector answered "
                               "(1) or failed (0) in this scrape.", labels=["collector"])
        for path in self.paths:
            collector: Callable[[], Iterable[Metric]] = import_string(path)
            try:
                families = list(collector())
            except Exception:
                log.exception("metrics collector %s failed", path)
                up.add_metric([path], 0)
                continue
            up.add_metric([path], 1)
            yield from families
        yield up


_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w*_(\d+)\.db$")


def dead_process_files_remove(folder: str) -> list[int]:
    """Drops the live gauges of processes of this host that are gone without saying so (killed: no
    exit hook ran), so a scrape never counts their running jobs. Their counters stay."""
    dead = set()
    for path in Path(folder).iterdir():
        match = _LIVE_GAUGE_FILE.match(path.name)
        if not match:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            dead.add(pid)
        except PermissionError:  # alive, under another user
            continue
    for pid in dead:
        mark_process_dead(pid, folder)
    return sorted(dead)


def _own_metrics() -> bytes:
    folder = settings.PROMETHEUS_MULTIPROC_DIR
    if not folder:
        return generate_latest(REGISTRY)
    dead_process_files_remove(folder)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=folder)
    return generate_latest(registry)


def metrics_text(*, scrape_time: bool) -> bytes:
    """The exposition: the service's own counters, and with ``scrape_time`` the apps' figures."""
    text = _own_metrics()
    if scrape_time:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_ScrapeTimeCollector(settings.METRICS_COLLECTORS))
        text += generate_latest(registry)
    return text


CONTENT_TYPE = CONTENT_TYPE_LATEST
