"""Video fixtures: the demo video material of a tenant (made from the demo photo, preprocessed and
reviewed for real), short clips made from the test faces, and real Celery worker processes on the
video queues that a test may start, kill and start again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import _fast_passwords, alice_key, bob_key  # noqa: F401 - shared fixtures
from tests.conftest import REPO

# Only the video queues: a worker of another test (review, billing) must not be robbed of its tasks.
QUEUES = "video,video-prep"


def clip_bytes(photo: Path, *, seconds: float = 1.0, size: tuple[int, int] = (320, 180), fps: int = 25) -> bytes:
    """A short template video made from a test photo (a zoom and pan around its largest face)."""
    import tempfile

    import cv2

    from fusion.engine import get_engine
    from fusion.engine.video import make_demo_clip

    face = get_engine().analyse(photo.read_bytes())[0]
    with tempfile.NamedTemporaryFile(suffix=".mp4") as out:
        make_demo_clip(cv2.imread(str(photo)), out.name, face=face.box, width=size[0], height=size[1],
                       seconds=seconds, fps=fps)
        return Path(out.name).read_bytes()


def video_material(tenant, data: bytes | None = None, *, name: str = "视频素材"):
    """An approved video material: the demo's when ``data`` is None."""
    import io

    from campaigns.services import campaign_create
    from materials.demo import seed_demo_video
    from materials.models import Material
    from materials.review import material_review_run
    from materials.video import material_preprocess_run, material_video_create

    if data is None:
        material = seed_demo_video(owner=tenant.owner)
    else:
        campaign = campaign_create(account=tenant.account, actor=tenant.owner.user, name="视频活动", kind="video")
        material = material_video_create(account=tenant.account, campaign=campaign, actor=tenant.owner.user,
                                         upload=io.BytesIO(data), name=name)
        material_preprocess_run(material_id=material.id)
        material_review_run(material_id=material.id)
    material = Material.objects.select_related("campaign").get(id=material.id)
    assert material.is_usable, (material.status, material.audit_result)
    return material


class Workers:
    """Real worker processes on the video queues, against the test database."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, *, concurrency: int = 1) -> subprocess.Popen:
        from config.celery import app

        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", QUEUES, "-n", f"{name}@%h",
             "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "WARNING",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=REPO, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.procs.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail("Celery worker exited at start:\n" + (proc.stdout.read() if proc.stdout else ""))
            replies = app.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5)
            if replies:
                return proc
        self.kill(proc)
        pytest.fail("Celery worker did not answer a ping within 60 s")

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool processes at once: nothing is handed back to the broker."""
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.kill(proc)


@pytest.fixture
def video_workers(transactional_db, settings) -> Iterator[Workers]:
    from django.conf import settings as dj_settings
    from django.db import connection

    from config.celery import app

    env = dict(os.environ)
    base = env["DATABASE_URL"].rsplit("/", 1)[0]
    env["DATABASE_URL"] = f"{base}/{connection.settings_dict['NAME']}"
    env["MEDIA_ROOT"] = str(dj_settings.MEDIA_ROOT)
    env["VIDEO_SEGMENT_FRAMES"] = str(dj_settings.VIDEO_SEGMENT_FRAMES)
    app.control.purge()
    workers = Workers(env)
    yield workers
    workers.stop_all()
