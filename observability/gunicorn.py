"""gunicorn's hook for multi-process metrics (the repository's gunicorn.conf.py imports it; gunicorn
reads that file from its working directory).

A gunicorn worker that exits leaves its metric files in ``PROMETHEUS_MULTIPROC_DIR``: its counters
and histograms must stay (a scrape adds them to the live workers', so totals never go backwards), its
live gauges must go (``ronghe_fusion_jobs_running`` would count a dead process's jobs forever). This
runs in gunicorn's master, which reads no Django settings: prometheus_client takes the folder from the
same environment variable the workers were started with.
"""

from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
