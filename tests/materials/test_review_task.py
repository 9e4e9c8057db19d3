"""The review task on a real Celery worker: runs once however often it is delivered, and the sweeper
rescues a material whose message was lost."""

import io
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from console.models import AuditEvent
from materials.models import Material, MaterialStatus
from materials.services import material_create
from materials.tasks import review_material, review_sweep
from tests.materials.conftest import fit

pytestmark = pytest.mark.worker


def _wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError("timed out")


def test_a_review_delivered_three_times_decides_once(celery_worker_process, alice, make_campaign):
    material = material_create(account=alice.account, campaign=make_campaign(alice), actor=alice.owner.user,
                               data=fit("obama.jpg"))  # the first delivery, on commit
    review_material.delay(material.id)
    review_material.delay(material.id)
    _wait_until(lambda: Material.objects.get(id=material.id).status != MaterialStatus.REVIEWING)
    done = review_material.delay(material.id)
    assert done.get(timeout=30) == MaterialStatus.MACHINE_PASSED  # the last one in the queue has run
    assert AuditEvent.objects.filter(target_id=material.model_id, action="material.review.machine").count() == 1


def test_the_sweeper_requeues_a_material_whose_message_was_lost(celery_worker_process, alice, make_campaign):
    campaign = make_campaign(alice)
    data = fit("biden.jpg")
    width, height = Image.open(io.BytesIO(data)).size
    name = default_storage.save(f"materials/{alice.account.app_id}/lost.jpg", ContentFile(data))
    lost = Material.objects.create(  # as if the worker died and the broker lost the message
        account=alice.account, campaign=campaign, name="lost", image=name, image_format="JPEG", width=width,
        height=height, byte_size=len(data), review_enqueued_at=timezone.now() - timedelta(hours=1))
    assert review_sweep.delay().get(timeout=30) == 1
    _wait_until(lambda: Material.objects.get(id=lost.id).status == MaterialStatus.MACHINE_PASSED)
