"""Writes of fusion jobs (docs/fusion.md), one module per side of a job:

- ``jobs``: what a job carries, its creation and message, its state changes and closing;
- ``worker``: run in the worker (fuse, store, close, answer the waiter);
- ``waiting``: the API's wait until the deadline, handing the job on when its worker dies;
- ``upkeep``: stored results purged after their TTL, jobs nobody closed swept;
- ``console_runs``: 测试效果's runs, with the photos kept as stored files.

Other apps and the views call the names below.
"""

from fusion.services.console_runs import fusion_job_store_source, fusion_test_run
from fusion.services.jobs import (
    JobOutcome,
    LabelSpec,
    MappingSpec,
    fusion_job_create,
    fusion_job_expire,
    job_images,
    result_ttl_seconds,
)
from fusion.services.upkeep import fusion_jobs_sweep, fusion_results_purge
from fusion.services.waiting import fusion_job_wait
from fusion.services.worker import decode_b64, fusion_job_run, job_label, job_source_bytes

__all__ = [
    "JobOutcome",
    "LabelSpec",
    "MappingSpec",
    "decode_b64",
    "fusion_job_create",
    "fusion_job_expire",
    "fusion_job_run",
    "fusion_job_store_source",
    "fusion_job_wait",
    "fusion_jobs_sweep",
    "fusion_results_purge",
    "fusion_test_run",
    "job_images",
    "job_label",
    "job_source_bytes",
    "result_ttl_seconds",
]
