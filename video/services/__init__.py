"""Writes of video fusion jobs (docs/video.md, docs/state-machines.md#video-fusion-job):

- ``jobs``: submit, the job's state changes, the queue's estimates;
- ``worker``: run a segment, finish the job (join, store, upload, meter);
- ``upkeep``: jobs nobody works on taken over or failed, results purged after their TTL;
- ``console_runs``: 视频测试效果's runs.

A job is cut into segments of frames (``VIDEO_SEGMENT_FRAMES``); each is a task on the ``video``
queue that any worker process may take, so one job runs on as many cores as the queue has. A
finished segment is stored and marked done once; the last one to finish enqueues the job's finish.
Resuming is therefore by construction: a killed worker's segment is delivered again (acks_late,
and the sweeper when a worker died without handing its message back), and the job goes on from the
segments already done. The seconds are metered once, in the transaction that closes the job.

Other apps and the views call the names below.
"""

from video.services.console_runs import video_test_run
from video.services.jobs import PHOTO_MAX_BYTES, SubmitRefused, VideoLabel, video_job_submit, video_queue_estimate
from video.services.upkeep import video_jobs_sweep, video_results_purge
from video.services.worker import video_job_finish, video_segment_run

__all__ = [
    "PHOTO_MAX_BYTES",
    "SubmitRefused",
    "VideoLabel",
    "video_job_finish",
    "video_job_submit",
    "video_jobs_sweep",
    "video_queue_estimate",
    "video_results_purge",
    "video_segment_run",
    "video_test_run",
]
