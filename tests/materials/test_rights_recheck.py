"""Looking back: a public figure or protected image added later pulls matching approved materials
back into the operators' queue, with a reason the customer reads, once."""

import pytest
from django.conf import settings
from django.urls import reverse

from console.models import AuditEvent
from materials import operators
from materials.models import MaterialStatus, ReviewStage
from materials.recheck import KIND_FIGURE, KIND_PROTECTED, rights_recheck
from materials.selectors import material_is_usable
from tests.conftest import login
from tests.materials.conftest import fit


def test_a_new_gallery_person_pulls_an_approved_lookalike_back_to_the_queue(alice, bob, operator, make_material,
                                                                         mailbox, django_capture_on_commit_callbacks):
    obama = make_material(alice, fit("obama2.jpg"), name="总统海报")
    other = make_material(bob, fit("biden.jpg"))
    assert obama.status == MaterialStatus.MACHINE_PASSED and other.status == MaterialStatus.MACHINE_PASSED
    figure = operators.figure_create(actor=operator, name="Barack Obama", photos=[fit("obama.jpg")])
    with django_capture_on_commit_callbacks(execute=True):
        assert rights_recheck(kind=KIND_FIGURE, item_id=figure.id) == 1
    obama.refresh_from_db()
    other.refresh_from_db()
    assert (obama.status, obama.review_stage) == (MaterialStatus.REVIEWING, ReviewStage.OPERATOR)
    assert not material_is_usable(obama) and obama.needs_copyright_proof
    assert other.status == MaterialStatus.MACHINE_PASSED
    assert "Barack Obama" in obama.audit_result and "公众人物库" in obama.audit_result
    event = AuditEvent.objects.get(action="material.review.recheck", target_id=obama.model_id)
    assert (event.from_state, event.to_state) == ("21", "0")
    # The customer reads why, in their language, on the page and in a mail linking to it.
    assert "公众人物库" in login(alice.owner).get(reverse("materials:detail", args=[obama.model_id])).content.decode()
    english = login(alice.owner)
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = english.get(reverse("materials:detail", args=[obama.model_id])).content.decode()
    assert "public-figure gallery" in page
    mail = mailbox.last_to("alice@example.com")
    assert "总统海报" in mail["Subject"] and obama.model_id in mail.get_body().get_content()
    # In the operators' queue, with the match.
    queue = login(operator).get(reverse("materials:review_queue")).content.decode()
    assert obama.model_id in queue and "Barack Obama" in queue


def test_running_the_recheck_again_moves_nothing(alice, operator, make_material):
    material = make_material(alice, fit("obama2.jpg"))
    figure = operators.figure_create(actor=operator, name="Barack Obama", photos=[fit("obama.jpg")])
    assert rights_recheck(kind=KIND_FIGURE, item_id=figure.id) == 1
    assert rights_recheck(kind=KIND_FIGURE, item_id=figure.id) == 0
    assert AuditEvent.objects.filter(action="material.review.recheck", target_id=material.model_id).count() == 1


def test_an_operator_approval_with_the_person_on_file_sticks(alice, operator, make_material):
    from materials.operators import material_decide
    from materials.services import proof_create

    material = make_material(alice, fit("obama2.jpg"))
    figure = operators.figure_create(actor=operator, name="Barack Obama", photos=[fit("obama.jpg")])
    rights_recheck(kind=KIND_FIGURE, item_id=figure.id)
    proof_create(account=alice.account, material=material, actor=alice.owner.user, data=fit("obama.jpg"),
                 filename="licence.jpg", kind="licence")
    material = material_decide(material_id=material.id, actor=operator, approve=True)
    assert material.status == MaterialStatus.MANUAL_PASSED
    operators.figure_add_photo(actor=operator, figure=figure, data=fit("obama.jpg", side=600))
    assert rights_recheck(kind=KIND_FIGURE, item_id=figure.id) == 0
    material.refresh_from_db()
    assert material.status == MaterialStatus.MANUAL_PASSED


def test_a_new_protected_image_pulls_back_its_copies(alice, operator, make_material):
    copy = make_material(alice, fit("cruz.jpg", side=500, quality=80))
    assert copy.status == MaterialStatus.MACHINE_PASSED
    item = operators.protected_image_create(actor=operator, name="电影海报", data=fit("cruz.jpg", side=600))
    assert rights_recheck(kind=KIND_PROTECTED, item_id=item.id) == 1
    copy.refresh_from_db()
    assert copy.status == MaterialStatus.REVIEWING and "protected_image" in copy.review_flags
    assert "电影海报" in copy.audit_result


def test_failed_and_queued_materials_are_left_alone(alice, operator, make_material):
    from tests.materials.conftest import landscape

    failed = make_material(alice, landscape())
    assert failed.status == MaterialStatus.MACHINE_FAILED
    item = operators.protected_image_create(actor=operator, name="风景", data=landscape())
    assert rights_recheck(kind=KIND_PROTECTED, item_id=item.id) == 0


@pytest.mark.parametrize("kind", [KIND_FIGURE, KIND_PROTECTED])
def test_a_removed_entry_rechecks_nothing(kind, db):
    assert rights_recheck(kind=kind, item_id=999_999) == 0


def test_the_first_run_queue_says_the_gallery_is_empty_and_how_to_fill_it(operator):
    page = login(operator).get(reverse("materials:review_queue")).content.decode()
    assert 'data-testid="first-run"' in page and "公众人物库为空" in page
    assert reverse("materials:gallery") in page


@pytest.mark.parametrize("filename,person", [("奥巴马_1.jpg", "奥巴马"), ("Barack Obama (3).png", "Barack Obama"),
                                             ("拜登-02.jpeg", "拜登"), ("cruz.jpg", "cruz"), ("_1.jpg", "")])
def test_a_bulk_photo_is_named_after_its_file(filename, person):
    assert operators.gallery_name_from_filename(filename) == person


def test_a_bulk_upload_adds_people_by_file_name_and_reports_the_failures(operator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from materials.models import PublicFigure
    from tests.materials.conftest import landscape

    files = [SimpleUploadedFile("奥巴马_1.jpg", fit("obama.jpg")),
             SimpleUploadedFile("奥巴马_2.jpg", fit("obama2.jpg")),
             SimpleUploadedFile("拜登.jpg", fit("biden.jpg")), SimpleUploadedFile("风景.jpg", landscape())]
    response = login(operator).post(reverse("materials:gallery_bulk"), {"photos": files}, follow=True)
    assert {f.name: f.photos.count() for f in PublicFigure.objects.all()} == {"奥巴马": 2, "拜登": 1}
    text = " ".join(str(m) for m in response.context["messages"])
    assert "风景.jpg" in text and "3" in text
    assert "公众人物库为空" not in login(operator).get(reverse("materials:review_queue")).content.decode()
