"""The automatic review on the real photos (docs/materials.md): passed, refused, or handed to an operator."""

import pytest
from django.core.files.storage import default_storage

from console.models import AuditEvent
from materials import operators, review, services
from materials.models import Material, MaterialStatus, ReviewStage
from materials.selectors import material_is_usable, material_template
from tests.materials.conftest import fit, landscape, side_face

pytestmark = pytest.mark.django_db


def _audits(material) -> int:
    return AuditEvent.objects.filter(target_type="material", target_id=material.model_id,
                                     action="material.review.machine").count()


def test_it_passes_a_clear_portrait_and_stores_the_template_record(alice, make_material):
    material = make_material(alice, fit("obama.jpg"))
    assert material.status == MaterialStatus.MACHINE_PASSED
    assert material.review_stage == ReviewStage.DONE
    assert material_is_usable(material)
    data, record = material_template(material)
    assert data.startswith(b"\xff\xd8\xff")
    assert [f.face_id for f in record.faces] == ["face_0"]
    face = record.faces[0]
    assert len(face.landmarks) == 468 and face.embedding and len(face.embedding) == 128
    assert (record.width, record.height) == (material.width, material.height)
    assert len(material.phash) == 16


def test_it_finds_both_faces_of_a_group_photo(alice, make_material):
    material = make_material(alice, fit("two_people.jpg", side=1000))
    assert material.status == MaterialStatus.MACHINE_PASSED
    assert [f["face_id"] for f in material.faces] == ["face_0", "face_1"]


def test_it_refuses_a_landscape_without_a_face(alice, make_material):
    material = make_material(alice, landscape())
    assert material.status == MaterialStatus.MACHINE_FAILED
    assert material.review_flags == ["no_face"]
    assert "人脸" in material.audit_result
    assert not material_is_usable(material)
    assert _audits(material) == 1


def test_it_refuses_a_face_under_34_pixels(alice, make_material):
    from io import BytesIO

    from PIL import Image

    img = Image.open(BytesIO(fit("obama.jpg"))).convert("RGB")
    img.thumbnail((120, 120))  # the face shrinks to about 30 px
    canvas = Image.new("RGB", (400, 400), (200, 200, 200))
    canvas.paste(img, (140, 140))
    out = BytesIO()
    canvas.save(out, "JPEG", quality=95)
    material = make_material(alice, out.getvalue())
    assert material.status == MaterialStatus.MACHINE_FAILED
    assert material.review_flags[0] in {"face_too_small", "no_face"}


def test_it_hands_a_side_face_to_an_operator(alice, make_material):
    material = make_material(alice, side_face())
    assert material.status == MaterialStatus.REVIEWING
    assert material.review_stage == ReviewStage.OPERATOR
    assert material.review_flags == ["side_face"]
    assert material.queued_at is not None
    assert abs(material.faces[0]["yaw"]) > 30 or abs(material.faces[0]["pitch"]) > 30
    assert material.template_record is not None  # stored now so an approval needs no second pass


def test_it_flags_a_public_figure_from_the_gallery(alice, operator, make_material):
    operators.figure_create(actor=operator, name="Barack Obama", photos=[fit("obama.jpg")])
    material = make_material(alice, fit("obama2.jpg"))
    assert material.status == MaterialStatus.REVIEWING
    assert "public_figure" in material.review_flags
    match = material.review_details["public_figures"][0]
    assert match["figure"] == "Barack Obama" and match["distance"] < 0.5


def test_it_does_not_flag_another_person_against_the_gallery(alice, operator, make_material):
    operators.figure_create(actor=operator, name="Barack Obama", photos=[fit("obama.jpg")])
    material = make_material(alice, fit("biden.jpg"))
    assert material.status == MaterialStatus.MACHINE_PASSED


def test_it_flags_a_copy_of_another_accounts_material(alice, bob, make_material):
    first = make_material(alice, fit("biden.jpg"))
    assert first.status == MaterialStatus.MACHINE_PASSED
    # Bob re-encodes and shrinks the same picture: the perceptual hash still matches.
    copy = make_material(bob, fit("biden.jpg", side=700, quality=70))
    assert copy.status == MaterialStatus.REVIEWING
    assert copy.review_flags == ["duplicate"]
    assert copy.review_details["duplicates"][0]["model_id"] == first.model_id


def test_it_does_not_flag_the_same_accounts_own_copy(alice, make_material):
    make_material(alice, fit("biden.jpg"))
    again = make_material(alice, fit("biden.jpg", side=700))
    assert again.status == MaterialStatus.MACHINE_PASSED


def test_it_flags_a_protected_image(alice, operator, make_material):
    operators.protected_image_create(actor=operator, name="海报", data=fit("cruz.jpg", side=600))
    material = make_material(alice, fit("cruz.jpg", side=500, quality=80))
    assert material.status == MaterialStatus.REVIEWING
    assert material.review_flags == ["protected_image"]


def test_it_refuses_an_image_it_cannot_decode_any_more(alice, make_material):
    material = make_material(alice, review=False)
    with default_storage.open(material.image.name, "wb") as fh:  # the stored file went bad
        fh.write(b"\xff\xd8\xff\xe0 garbage")
    material = review.material_review_run(material_id=material.id)
    assert material.status == MaterialStatus.MACHINE_FAILED
    assert material.review_flags == ["undecodable"]


def test_a_storage_outage_leaves_the_material_for_the_sweeper_instead_of_refusing_it(alice, make_material,
                                                                                      monkeypatch):
    material = make_material(alice, fit("obama.jpg"), review=False)

    def unavailable(name, mode="rb"):
        raise ConnectionError("storage unavailable")  # an OSError, not a missing file

    monkeypatch.setattr(default_storage, "open", unavailable)
    review.material_review_run(material_id=material.id)
    material.refresh_from_db()
    assert (material.status, material.review_stage) == (MaterialStatus.REVIEWING, ReviewStage.MACHINE)
    assert _audits(material) == 0
    monkeypatch.undo()
    assert review.material_review_run(material_id=material.id).status == MaterialStatus.MACHINE_PASSED


def test_a_missing_stored_image_is_refused_as_undecodable(alice, make_material):
    material = make_material(alice, review=False)
    default_storage.delete(material.image.name)
    material = review.material_review_run(material_id=material.id)
    assert (material.status, material.review_flags) == (MaterialStatus.MACHINE_FAILED, ["undecodable"])


def test_it_reviews_once_when_the_task_runs_twice(alice, make_material):
    material = make_material(alice, review=False)
    review.material_review_run(material_id=material.id)
    again = review.material_review_run(material_id=material.id)
    assert again.status == MaterialStatus.MACHINE_PASSED
    assert _audits(material) == 1


def test_it_ignores_a_review_of_a_deleted_material(alice, make_material):
    material = make_material(alice, review=False)
    services.material_delete(account=alice.account, material=material, actor=alice.owner.user)
    assert review.material_review_run(material_id=material.id) is None


def test_the_sweeper_requeues_only_reviews_stuck_past_the_deadline(alice, make_material, settings,
                                                                    django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    stuck = make_material(alice, review=False)
    fresh = make_material(alice, review=False, campaign=stuck.campaign)
    decided = make_material(alice, campaign=stuck.campaign)
    old = timezone.now() - timedelta(hours=1)
    Material.objects.filter(id__in=[stuck.id, decided.id]).update(review_enqueued_at=old)
    with django_capture_on_commit_callbacks() as callbacks:
        assert review.material_review_sweep() == 1
        assert review.material_review_sweep() == 0  # the first run moved the deadline
    assert len(callbacks) == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.review_enqueued_at > old
    assert fresh.status == MaterialStatus.REVIEWING


def test_the_sweeper_is_scheduled_on_beat():
    from config.celery import app

    entries = {e["task"] for e in app.conf.beat_schedule.values()}
    assert "materials.tasks.review_sweep" in entries


def test_it_keeps_a_new_material_out_of_the_operator_queue_until_reviewed(alice, make_material):
    from materials.selectors import review_queue

    material = make_material(alice, side_face(), review=False)
    assert not review_queue().filter(id=material.id).exists()
    review.material_review_run(material_id=material.id)
    assert review_queue().filter(id=material.id).exists()



def test_it_mails_the_account_when_the_machine_decides(alice, make_material, mailoutbox,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_material(alice, fit("obama.jpg"))
        make_material(alice, side_face())  # flagged for an operator: not decided yet, no mail
    assert len(mailoutbox) == 1
    assert "alice@example.com" in mailoutbox[0].to
