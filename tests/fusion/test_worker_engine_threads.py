"""A fusion worker's pool processes run the engine single-threaded (FUSION_ENGINE_THREADS): one
process per core already fills the cores, and OpenCV's own threads on top would fight over them."""

import os
import subprocess
import sys

from tests.conftest import REPO

PROBE = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
import cv2
from config.celery import app
from fusion.tasks import _warm_engine

class Consumer:  # what Celery's worker passes: the app, consuming from the fusion queue
    pass
sender = Consumer()
sender.app = app
app.amqp.queues.select(["fusion"])
before = cv2.getNumThreads()
_warm_engine(sender=sender)
print(before, cv2.getNumThreads())
"""


def test_it_loads_the_engine_with_the_configured_number_of_threads():
    for threads in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True,
                             env={**os.environ, "FUSION_ENGINE_THREADS": threads}).stdout.split()
        assert out[-1] == threads, out  # OpenCV's default is one thread per core: it did change
