"""Celery's side of observability, hooked to its signals (config/celery.py imports this module).

- **Log context across the broker.** A task published while a request (or another task) runs carries
  its context (RequestId, AppID, action, job id) in a message header; the worker sets it around the
  task, so the worker's lines of a FuseFace job carry the API call's RequestId.
- **Metrics.** Tasks finished, by task and state. A pool process that exits drops its live gauges
  (``worker_process_shutdown``); ``METRICS_WORKER_PORT`` serves the worker's metrics (its pool
  processes' files, added up) at ``/metrics`` on that port, behind the same ``METRICS_TOKEN``.
- **JSON logs.** Celery sets up the worker's logging its own way; with ``LOG_FORMAT=json`` its handlers
  are switched to the project's JSON lines.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    before_task_publish,
    task_postrun,
    task_prerun,
    worker_process_shutdown,
    worker_ready,
)
from django.conf import settings

from observability import context, metrics

log = logging.getLogger(__name__)

HEADER = "ronghe_context"
_tokens: dict[str, object] = {}


@before_task_publish.connect
def _carry_context(headers: dict[str, Any] | None = None, **_kwargs: object) -> None:
    fields = context.current()
    if headers is not None and fields:
        headers[HEADER] = fields


@task_prerun.connect
def _enter_context(task_id: str = "", task: Any = None, **_kwargs: object) -> None:
    fields = getattr(getattr(task, "request", None), HEADER, None)
    _tokens[task_id] = context.replace(fields if isinstance(fields, dict) else {})


@task_postrun.connect
def _leave_context(task_id: str = "", task: Any = None, state: str | None = None, **_kwargs: object) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        context.restore(token)
    if task is not None:
        metrics.task_count(task=task.name, state=state or "UNKNOWN")


@worker_process_shutdown.connect
def _drop_live_gauges(pid: int | None = None, **_kwargs: object) -> None:
    if settings.PROMETHEUS_MULTIPROC_DIR and pid:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, settings.PROMETHEUS_MULTIPROC_DIR)


# --- the worker's metrics endpoint ---------------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds are not worth a log line each."""


def _metrics_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    from observability.exposition import CONTENT_TYPE, metrics_text, token_ok

    if environ.get("PATH_INFO") != "/metrics":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Not found\n"]
    if not token_ok(environ.get("HTTP_AUTHORIZATION", "")):
        start_response("403 Forbidden", [("Content-Type", "text/plain")])
        return [b"A valid Authorization: Bearer token is required.\n"]
    body = metrics_text(scrape_time=False)
    start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))])
    return [body]


_server: WSGIServer | None = None


@worker_ready.connect
def _serve_metrics(**_kwargs: object) -> None:
    global _server
    # Sent again after every reconnection to the broker: one server per worker.
    if _server is not None or not settings.METRICS_TOKEN or not settings.METRICS_WORKER_PORT:
        return
    _server = make_server("", settings.METRICS_WORKER_PORT, _metrics_app, handler_class=_QuietHandler)
    threading.Thread(target=_server.serve_forever, name="ronghe-metrics", daemon=True).start()
    log.info("worker metrics at http://0.0.0.0:%d/metrics", settings.METRICS_WORKER_PORT)


# --- JSON logs in the worker ---------------------------------------------------------------------

def _json_handlers(logger: logging.Logger) -> None:
    from logging.config import dictConfig

    if settings.LOG_FORMAT != "json":
        return
    # The project's own configuration, as the web processes have it: Celery's handlers give way to it.
    dictConfig(settings.LOGGING)
    if logger is not logging.getLogger():
        logger.handlers.clear()
        logger.propagate = True


@after_setup_logger.connect
def _worker_logger(logger: logging.Logger | None = None, **_kwargs: object) -> None:
    if logger is not None:
        _json_handlers(logger)


@after_setup_task_logger.connect
def _task_logger(logger: logging.Logger | None = None, **_kwargs: object) -> None:
    if logger is not None:
        _json_handlers(logger)
