"""The call-time check of a template that was never reviewed (FuseFaceUltra): the gallery's people,
the protected images, and the account's own rejected materials, with the review's thresholds."""

from fusion.engine import get_engine, perceptual_hash
from materials import operators
from materials.models import Material, MaterialStatus
from materials.screening import PROTECTED_IMAGE, PUBLIC_FIGURE, REJECTED_MATERIAL, template_screen
from tests.materials.conftest import fit


def _screen(account, data: bytes):
    faces = get_engine().analyse(data, with_embeddings=True)
    return template_screen(account=account, faces=[(f.face_id, f.embedding or []) for f in faces],
                           phash=perceptual_hash(data))


def test_it_passes_a_template_nothing_matches(alice, operator):
    operators.figure_create(actor=operator, name="Barack Obama", photos=[fit("obama.jpg")])
    operators.protected_image_create(actor=operator, name="海报", data=fit("cruz.jpg", side=600))
    assert _screen(alice.account, fit("biden.jpg")) == []


def test_it_finds_a_gallery_person_in_another_photo(alice, operator):
    figure = operators.figure_create(actor=operator, name="Barack Obama", photos=[fit("obama.jpg")])
    (match,) = _screen(alice.account, fit("obama2.jpg"))
    assert (match.kind, match.ref, match.name, match.face_id) == (PUBLIC_FIGURE, str(figure.id), "Barack Obama",
                                                                  "face_0")
    assert match.distance < 0.5


def test_it_sees_a_person_added_after_its_first_use(alice, operator):
    assert _screen(alice.account, fit("obama2.jpg")) == []  # the gallery's matrix is cached per process
    operators.figure_create(actor=operator, name="Barack Obama", photos=[fit("obama.jpg")])
    assert [m.kind for m in _screen(alice.account, fit("obama2.jpg"))] == [PUBLIC_FIGURE]


def test_it_finds_a_re_encoded_copy_of_a_protected_image(alice, operator):
    item = operators.protected_image_create(actor=operator, name="海报", data=fit("cruz.jpg", side=600))
    (match,) = _screen(alice.account, fit("cruz.jpg", side=500, quality=70))
    assert (match.kind, match.ref, match.name) == (PROTECTED_IMAGE, str(item.id), "海报")


def test_it_finds_the_accounts_own_rejected_material_but_not_anothers(alice, bob, make_material):
    rejected = make_material(alice, fit("biden.jpg"), name="被拒素材")
    Material.objects.filter(id=rejected.id).update(status=MaterialStatus.MANUAL_FAILED)
    copy = fit("biden.jpg", side=700, quality=75)
    (match,) = _screen(alice.account, copy)
    assert (match.kind, match.ref, match.name) == (REJECTED_MATERIAL, rejected.model_id, "被拒素材")
    assert _screen(bob.account, copy) == []  # bob's own rejected materials only


def test_an_approved_material_of_the_account_is_no_reason(alice, make_material):
    approved = make_material(alice, fit("biden.jpg"))
    assert approved.status == MaterialStatus.MACHINE_PASSED
    assert _screen(alice.account, fit("biden.jpg", side=700)) == []
