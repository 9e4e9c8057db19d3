"""Retention (README "Retention"): one periodic run that deletes what has outlived its time.

Each app deletes its own things in its own steps (fusion.retention, video.retention,
billing.retention, and the result purges of fusion and video), named in order in
``settings.RETENTION_STEPS``: console sits below the apps, so the project package composes the list.
A step is ``step(*, now, batch) -> int``: it deletes at most ``batch`` things, in their own short
transactions, and says how many; the run calls it again until it deletes less than a batch or the
run's time is up (the next run goes on). Every step is idempotent: run twice, or on two workers at
once, it deletes nothing twice and nothing early.

Audit events (``console.models.AuditEvent``) are never deleted: no step touches them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db.models import QuerySet
from django.utils.module_loading import import_string

from console.clock import now_or

log = logging.getLogger(__name__)

Step = Callable[..., int]


def retention_run(*, now: datetime | None = None, seconds: float | None = None) -> dict[str, int]:
    """Run every step of ``settings.RETENTION_STEPS`` in order; how many things each deleted.

    ``seconds`` bounds the run (half the task's soft time limit by default): a backlog (the first run
    on an old deployment) is worked off over several runs instead of one that gets killed."""
    now = now_or(now)
    budget = seconds if seconds is not None else settings.CELERY_TASK_SOFT_TIME_LIMIT / 2
    deadline = time.monotonic() + budget
    batch = settings.RETENTION_BATCH_SIZE
    deleted: dict[str, int] = {}
    for path in settings.RETENTION_STEPS:
        step: Step = import_string(path)
        total = 0
        while True:
            n = step(now=now, batch=batch)
            total += n
            if n < batch or time.monotonic() >= deadline:
                break
        deleted[path] = total
        if time.monotonic() >= deadline:
            log.warning("retention: out of time after %s; the next run goes on", path)
            break
    if any(deleted.values()):
        log.info("retention: %s", ", ".join(f"{path.rsplit('.', 1)[-1]} {n}" for path, n in deleted.items() if n))
    return deleted


def closed_rows_delete(closed: QuerySet, *, now: datetime, batch: int) -> int:
    """Delete up to ``batch`` rows of ``closed`` (an app's closed jobs whose files are purged) that
    finished more than ``JOB_RETENTION_DAYS`` ago, oldest first; how many of its model went."""
    old = closed.filter(finished_at__lt=now - timedelta(days=settings.JOB_RETENTION_DAYS))
    ids = list(old.order_by("finished_at").values_list("id", flat=True)[:batch])
    if not ids:
        return 0
    _, by_model = old.filter(id__in=ids).delete()
    return by_model.get(closed.model._meta.label, 0)


def dated_files_delete(*, prefix: str, before: date, batch: int, keep: Callable[[list[str]], set[str]],
                       storage: Storage | None = None) -> int:
    """Delete the files under ``prefix/YYYY/MM/DD/`` of days before ``before``, except the names
    ``keep`` returns for them; at most ``batch`` files. Local and S3 storage alike (django-storages).

    Results are stored in folders of the day they were made, so a folder older than the longest result
    TTL holds only files whose TTL is over: those of purged jobs are gone already, and any left are
    orphans (a worker killed between storing a result and closing its job). Emptied local folders are
    removed, so each run lists only the few old days still there."""
    storage = storage or default_storage
    deleted = 0
    for day, folder in _day_folders(storage, prefix):
        if day >= before or deleted >= batch:
            break
        names = [f"{folder}/{f}" for f in storage.listdir(folder)[1]][:batch - deleted]
        kept = keep(names) if names else set()
        for name in names:
            if name not in kept:
                storage.delete(name)
                deleted += 1
        if deleted < batch and not kept:
            _remove_empty_folder(storage, folder)
    return deleted


def _day_folders(storage: Storage, prefix: str) -> list[tuple[date, str]]:
    """``prefix``'s YYYY/MM/DD folders, oldest first (other names are left alone)."""
    found = []
    for year in _numbers(storage, prefix):
        for month in _numbers(storage, f"{prefix}/{year}"):
            for day in _numbers(storage, f"{prefix}/{year}/{month}"):
                try:
                    found.append((date(int(year), int(month), int(day)), f"{prefix}/{year}/{month}/{day}"))
                except ValueError:
                    continue
    return sorted(found)


def _numbers(storage: Storage, folder: str) -> list[str]:
    try:
        return sorted(d for d in storage.listdir(folder)[0] if d.isdigit())
    except FileNotFoundError:
        return []


def _remove_empty_folder(storage: Storage, folder: str) -> None:
    """Local storage keeps empty folders (S3 has none): remove the day's, and its month's and year's
    once they are empty too."""
    try:
        path = storage.path(folder)
    except NotImplementedError:
        return
    for _ in range(3):
        try:
            os.rmdir(path)
        except OSError:
            return
        path = os.path.dirname(path)
