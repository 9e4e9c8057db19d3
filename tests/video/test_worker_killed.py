"""A worker killed in the middle of a video job (SIGKILL, pool and all): the job is neither stuck
nor charged twice. The sweeper sees its heartbeat stop, hands its undone segments to the queue
again, another worker finishes it from the segments already done, and the seconds are metered and
settled once."""

from __future__ import annotations

import time

import pytest

from tests.video.conftest import clip_bytes, video_material

pytestmark = [pytest.mark.worker]


def _wait(check, what: str, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {seconds} s")


def test_a_killed_worker_leaves_no_stuck_job_and_no_double_charge(video_workers, alice, faces_dir, settings):
    from billing.models import LedgerEntry, UsageRecord
    from billing.selectors import ledger_problems
    from billing.services import usage_settle
    from video.models import VideoJob, VideoJobStatus, VideoSegment
    from video.services import video_job_finish, video_job_submit, video_jobs_sweep, video_segment_run

    settings.VIDEO_SEGMENT_FRAMES = 20
    video_workers.env["VIDEO_SEGMENT_FRAMES"] = "20"
    material = video_material(alice, clip_bytes(faces_dir / "biden.jpg", seconds=3.2))  # 80 frames
    first = video_workers.start("video-a")
    job = video_job_submit(account=alice.account, material=material, request_id="kill-1", source="api",
                           photo=(faces_dir / "obama2.jpg").read_bytes())
    assert job.segments_total == 4

    done = VideoSegment.objects.filter(job=job, done_at__isnull=False)
    _wait(lambda: done.exists(), "a first segment done", 90)
    video_workers.kill(first)
    before_kill = {s.index: (s.done_at, s.worker) for s in done}
    job.refresh_from_db()
    assert job.status == VideoJobStatus.PROCESSING and len(before_kill) < 4, (job.status, before_kill)
    assert not UsageRecord.objects.filter(request_id=f"video:{job.job_id}").exists()

    # Within the stall time the job counts as alive; past it, the sweeper takes it over, once.
    assert settings.VIDEO_JOB_STALL_SECONDS == 60
    assert video_jobs_sweep() == 0
    settings.VIDEO_JOB_STALL_SECONDS = 2
    time.sleep(2.5)
    taken = video_jobs_sweep()
    job.refresh_from_db()
    assert job.attempts == 1 and taken == 1
    assert video_jobs_sweep() == 0  # its heartbeat was just renewed by the takeover

    video_workers.start("video-b")
    _wait(lambda: VideoJob.objects.filter(id=job.id).exclude(status=VideoJobStatus.PROCESSING).exists(),
          "the job closed", 120)
    job.refresh_from_db()
    assert job.status == VideoJobStatus.SUCCEEDED and job.billed_seconds == 4
    # Resumed, not restarted: the segments done before the kill were not done again.
    for index, (done_at, worker) in before_kill.items():
        seg = VideoSegment.objects.get(job=job, index=index)
        assert (seg.done_at, seg.worker) == (done_at, worker)

    # Late deliveries change nothing: the killed worker's message, a second finish.
    assert video_segment_run(job_id=str(job.id), index=0) is False
    assert video_job_finish(job_id=str(job.id)) is False
    records = UsageRecord.objects.filter(request_id=f"video:{job.job_id}")
    assert records.count() == 1
    record = records.get()
    assert (record.units, record.billable, record.product) == (4, True, "video")
    usage_settle(record_id=record.id)
    usage_settle(record_id=record.id)
    assert sum(-e.delta for e in LedgerEntry.objects.filter(usage=record, reason="usage")) == 4
    assert ledger_problems() == []
