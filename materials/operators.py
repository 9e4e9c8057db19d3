"""Writes of the operators' side of materials (docs/materials.md): decisions on the review queue
(flagged uploads and appeals), the public-figure gallery, protected images and reason templates."""

import re
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from console.models import AuditAction
from console.services import audit_record
from fusion.engine import EngineError, get_engine, perceptual_hash
from fusion.engine.imageio import sniff_format
from materials import notices
from materials.models import (
    APPEAL_TRANSITIONS,
    REVIEW_TRANSITIONS,
    AppealAction,
    Material,
    MaterialStatus,
    ProtectedImage,
    PublicFigure,
    PublicFigurePhoto,
    ReasonTemplate,
    ReviewAction,
    ReviewStage,
)
from materials.recheck import KIND_FIGURE, KIND_PROTECTED, rights_recheck_enqueue
from materials.uploads import stored_name

GALLERY_PHOTO_MAX_BYTES = 5 * 1024 * 1024


class DecisionConflict(ValidationError):
    """Another operator (or the customer) changed the item first."""


# --- operator decisions --------------------------------------------------------------------

def material_decide(*, material_id: int, actor: User, approve: bool, reason: str = "",
                    expected_status: int | None = None) -> Material:
    """An operator's decision on a queue item: a flagged upload (0 → 1 / 2) or an appeal (3 → 11 / 12).
    Two operators deciding at once: the compare-and-swap lets exactly one through."""
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        material = Material.objects.select_related("account").filter(id=material_id).first()
        if material is None:
            raise ValidationError(_("This material no longer exists."))
        old = material.status
        appeal = old == MaterialStatus.APPEALING
        # The queue holds two machines' items: flagged uploads (the review's) and appeals.
        table = APPEAL_TRANSITIONS if appeal else REVIEW_TRANSITIONS
        if appeal:
            action: str = AppealAction.APPROVE if approve else AppealAction.REJECT
        else:
            action = ReviewAction.APPROVE if approve else ReviewAction.REJECT
        stale = expected_status is not None and int(expected_status) != old
        if stale or material.review_stage != ReviewStage.OPERATOR or not table.allows(old, action):
            raise DecisionConflict(_("This item was already decided (now: %(status)s). Nothing was changed.")
                                   % {"status": material.get_status_display()}, code="conflict")
        new = table.target(old, action)
        if not approve and not reason:
            raise ValidationError(_("Give a reason for the rejection; the customer reads it."), code="reason")
        if approve and material.needs_copyright_proof and not material.proofs.exists():
            raise ValidationError(_("This material was flagged for rights (public figure, protected image or "
                                    "duplicate): it can be approved only with a copyright proof on file."),
                                  code="proof")
        now = timezone.now()
        changed = Material.objects.filter(id=material.id, status=old, review_stage=ReviewStage.OPERATOR).update(
            status=new, review_stage=ReviewStage.DONE, audit_result=reason, decided_at=now, updated_at=now)
        if not changed:
            raise DecisionConflict(_("Another operator decided this item first. Nothing was changed."),
                                   code="conflict")
        audit_record(actor=actor, account=material.account,
                     action=AuditAction.MATERIAL_REVIEW_APPEAL if appeal else AuditAction.MATERIAL_REVIEW_MANUAL,
                     target_type="material", target_id=material.model_id, from_state=str(old), to_state=str(new),
                     reason=reason)
        material.refresh_from_db()
        if appeal:
            notices.notify_appeal_decided(material=material)
        else:
            notices.notify_material_decided(material=material)
    return material


# --- operators' lists ----------------------------------------------------------------------

def _gallery_embedding(data: bytes) -> list[float]:
    if len(data) > GALLERY_PHOTO_MAX_BYTES:
        raise ValidationError(_("Each photo may be at most 5 MB."))
    if sniff_format(data) is None:
        raise ValidationError(_("Each photo must be a JPG or PNG image."))
    try:
        return get_engine().embedding_of(data)
    except EngineError as exc:
        raise ValidationError(_("No usable face in this photo (%(reason)s). Choose a clear frontal photo.")
                              % {"reason": exc.message_zh})


def figure_create(*, actor: User, name: str, note: str = "", photos: list[bytes]) -> PublicFigure:
    name = (name or "").strip()[:60]
    if not name:
        raise ValidationError(_("Enter the person's name."))
    if not photos:
        raise ValidationError(_("Add at least one reference photo."))
    embeddings = [_gallery_embedding(p) for p in photos]
    with transaction.atomic():
        figure = PublicFigure.objects.create(name=name, note=(note or "").strip()[:200])
        for data, embedding in zip(photos, embeddings, strict=True):
            _figure_photo_store(figure, data, embedding)
        audit_record(actor=actor, account=None, action=AuditAction.GALLERY_CREATE, target_type="public_figure",
                     target_id=figure.id, reason=name, data={"photos": len(photos)})
        rights_recheck_enqueue(kind=KIND_FIGURE, item_id=figure.id)
    return figure


def _figure_photo_store(figure: PublicFigure, data: bytes, embedding: list[float]) -> PublicFigurePhoto:
    ext = "png" if sniff_format(data) == "PNG" else "jpg"
    stored = default_storage.save(stored_name("gallery", ext), ContentFile(data))
    return PublicFigurePhoto.objects.create(figure=figure, image=stored, embedding=embedding)


def figure_add_photo(*, actor: User, figure: PublicFigure, data: bytes) -> PublicFigurePhoto:
    embedding = _gallery_embedding(data)
    with transaction.atomic():
        photo = _figure_photo_store(figure, data, embedding)
        audit_record(actor=actor, account=None, action=AuditAction.GALLERY_PHOTO, target_type="public_figure",
                     target_id=figure.id, reason=figure.name)
        rights_recheck_enqueue(kind=KIND_FIGURE, item_id=figure.id)
    return photo


GALLERY_BULK_MAX_FILES = 50
_NUMBER_SUFFIX = re.compile(r"[\s_\-－—]*[(（]?\d+[)）]?$")


def gallery_name_from_filename(filename: str) -> str:
    """The person a bulk-uploaded photo shows, from its file name: "奥巴马_2.jpg" → "奥巴马",
    "Barack Obama (3).png" → "Barack Obama"."""
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    return _NUMBER_SUFFIX.sub("", stem).strip()[:60]


@dataclass(frozen=True)
class BulkPhotoResult:
    filename: str
    person: str
    error: str = ""  # empty: added


def gallery_bulk_add(*, actor: User, photos: list[tuple[str, bytes]]) -> list[BulkPhotoResult]:
    """Many reference photos at once, each file named after its person; photos of a person already in
    the gallery are added to them. A photo that fails (no face, not an image) is reported and the
    others go on; each person is re-checked against the existing materials once its photos are in."""
    if len(photos) > GALLERY_BULK_MAX_FILES:
        raise ValidationError(_("Upload at most %(n)d photos at a time.") % {"n": GALLERY_BULK_MAX_FILES})
    results = []
    for filename, data in photos:
        person = gallery_name_from_filename(filename)
        if not person:
            results.append(BulkPhotoResult(filename, "", str(_("The file name does not say whose photo it is."))))
            continue
        try:
            figure = PublicFigure.objects.filter(name=person).order_by("id").first()
            if figure is None:
                figure_create(actor=actor, name=person, photos=[data])
            else:
                figure_add_photo(actor=actor, figure=figure, data=data)
        except ValidationError as exc:
            results.append(BulkPhotoResult(filename, person, " ".join(exc.messages)))
        else:
            results.append(BulkPhotoResult(filename, person))
    return results


def figure_delete(*, actor: User, figure: PublicFigure) -> None:
    names = list(figure.photos.values_list("image", flat=True))
    with transaction.atomic():
        audit_record(actor=actor, account=None, action=AuditAction.GALLERY_DELETE, target_type="public_figure",
                     target_id=figure.id, reason=figure.name)
        figure.delete()

        def _remove_files() -> None:
            for name in names:
                default_storage.delete(name)

        transaction.on_commit(_remove_files)


def protected_image_create(*, actor: User, name: str, data: bytes) -> ProtectedImage:
    name = (name or "").strip()[:60]
    if not name:
        raise ValidationError(_("Enter a name for the protected image."))
    if len(data) > GALLERY_PHOTO_MAX_BYTES:
        raise ValidationError(_("The image may be at most 5 MB."))
    fmt = sniff_format(data)
    if fmt is None:
        raise ValidationError(_("The protected image must be a JPG or PNG image."))
    try:
        phash = perceptual_hash(data)
    except EngineError:
        raise ValidationError(_("The image cannot be decoded. Save it again as JPG or PNG."))
    with transaction.atomic():
        stored = default_storage.save(stored_name("protected", "png" if fmt == "PNG" else "jpg"), ContentFile(data))
        item = ProtectedImage.objects.create(name=name, image=stored, phash=phash)
        audit_record(actor=actor, account=None, action=AuditAction.PROTECTED_IMAGE_CREATE,
                     target_type="protected_image",
                     target_id=item.id, reason=name, data={"phash": phash})
        rights_recheck_enqueue(kind=KIND_PROTECTED, item_id=item.id)
    return item


def protected_image_delete(*, actor: User, item: ProtectedImage) -> None:
    with transaction.atomic():
        audit_record(actor=actor, account=None, action=AuditAction.PROTECTED_IMAGE_DELETE,
                     target_type="protected_image",
                     target_id=item.id, reason=item.name)
        name = item.image.name or ""
        item.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


def reason_template_create(*, actor: User, text: str) -> ReasonTemplate:
    text = (text or "").strip()[:200]
    if not text:
        raise ValidationError(_("Enter the reason text."))
    template, _created = ReasonTemplate.objects.get_or_create(text=text)
    return template


def reason_template_delete(*, actor: User, template: ReasonTemplate) -> None:
    template.delete()
