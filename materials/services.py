"""Writes of materials (docs/materials.md): quota, upload, the review state machine, appeals, copyright
proofs, and the operators' lists. One function per transition, each compare-and-swap inside a
transaction with an audit row, so notices (mail) can hook into exactly these functions later."""

import logging
import secrets
from datetime import timedelta
from pathlib import PurePosixPath, PureWindowsPath

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignStatus, version_has_degrees
from campaigns.services import clean_degree
from console.env import env_int
from console.models import Account
from console.services import audit_record
from fusion.engine import EngineError, get_engine, perceptual_hash
from materials import notices
from materials.models import (
    APPEALABLE_STATUSES,
    CopyrightProof,
    Material,
    MaterialQuota,
    MaterialStatus,
    ProofKind,
    ProtectedImage,
    PublicFigure,
    PublicFigurePhoto,
    ReasonTemplate,
    ReviewStage,
)
from materials.review import reason_text, review_image
from materials.selectors import material_quota_base
from materials.uploads import clean_material_image, clean_proof_file, sniff_image

log = logging.getLogger(__name__)

QUOTA_BLOCK = 10  # material quota is sold and granted in blocks of 10 (docs/billing.md)
NAME_MAX = 60
APPEAL_MAX = 500
MAX_PROOFS_PER_MATERIAL = 10
GALLERY_PHOTO_MAX_BYTES = 5 * 1024 * 1024


class DecisionConflict(ValidationError):
    """Another operator (or the customer) changed the item first."""


def review_deadline_seconds() -> int:
    return env_int("MATERIAL_REVIEW_DEADLINE_SECONDS", 300)


def _token() -> str:
    return secrets.token_hex(16)


def _display_name(filename: str, fallback: str) -> str:
    # Only ever a label: the stored file gets a server-generated name.
    base = PureWindowsPath(PurePosixPath(filename or "").name).name
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(ch for ch in stem if ch.isprintable()).strip()
    return (stem or fallback)[:NAME_MAX]


def _material_enqueue(material_id: int) -> None:
    from materials.tasks import review_material

    review_material.delay_on_commit(material_id)


# --- quota ---------------------------------------------------------------------------------

def _quota_row_locked(account: Account) -> MaterialQuota:
    """The account's quota row, locked until the transaction ends: concurrent creations queue here."""
    MaterialQuota.objects.get_or_create(account=account)
    return MaterialQuota.objects.select_for_update().get(account=account)


def material_quota_add(*, account: Account, blocks: int, actor: AbstractBaseUser | None, reason: str) -> None:
    """Add ``blocks`` × 10 material slots, permanently (a purchase, or an operator's grant)."""
    if not isinstance(blocks, int) or blocks <= 0:
        raise ValidationError(_("Enter a whole number of blocks, at least 1."))
    with transaction.atomic():
        row = _quota_row_locked(account)
        old_total = material_quota_base() + row.extra
        row.extra += blocks * QUOTA_BLOCK
        row.save(update_fields=["extra", "updated_at"])
        audit_record(actor=actor, account=account, action="material_quota.add", target_type="account",
                     target_id=account.id, from_state=str(old_total), to_state=str(old_total + blocks * QUOTA_BLOCK),
                     reason=reason, data={"blocks": blocks})


# --- upload --------------------------------------------------------------------------------

def material_create(*, account: Account, campaign: Campaign, actor: AbstractBaseUser | None, data: bytes,
                    filename: str = "", name: str = "", replaces: Material | None = None) -> Material:
    """Validate the image by content, take a quota slot atomically, store it re-encoded under a
    generated name, and hand it to the automatic review. ``replaces`` (same account) is deleted in the
    same transaction, so re-uploading a cropped image needs no free slot."""
    if campaign.account_id != account.id or (replaces is not None and replaces.account_id != account.id):
        raise ValidationError(_("This campaign does not exist."))
    if campaign.status != CampaignStatus.ACTIVE:
        raise ValidationError(_("The campaign is disabled; enable it before uploading materials."), code="disabled")
    clean = clean_material_image(data)
    label = (name or "").strip()[:NAME_MAX] or _display_name(filename, _("Material"))
    stored = ""
    try:
        with transaction.atomic():
            quota = _quota_row_locked(account)
            # Re-read the campaign under a lock: a concurrent disable or delete (which locks it too) must not
            # let an upload in, whatever the caller's copy says.
            live = Campaign.objects.select_for_update().filter(id=campaign.id, account=account).first()
            if live is None:
                raise ValidationError(_("This campaign does not exist."))
            if live.status != CampaignStatus.ACTIVE:
                raise ValidationError(_("The campaign is disabled; enable it before uploading materials."),
                                      code="disabled")
            if replaces is not None:
                _material_delete_locked(material=replaces, actor=actor, reason="replaced by a re-upload")
            used = Material.objects.filter(account=account).count()
            total = material_quota_base() + quota.extra
            if used >= total:
                raise ValidationError(
                    _("Your material quota is used up (%(used)d of %(total)d). Delete unused materials or buy "
                      "more quota, then upload again.") % {"used": used, "total": total}, code="quota")
            stored = default_storage.save(f"materials/{account.app_id}/{_token()}.{clean.extension}",
                                          ContentFile(clean.data))
            now = timezone.now()
            material = Material.objects.create(
                account=account, campaign=campaign, name=label, image=stored, image_format=clean.format,
                width=clean.width, height=clean.height, byte_size=len(clean.data), created_by=actor,
                review_enqueued_at=now,
            )
            audit_record(actor=actor, account=account, action="material.create", target_type="material",
                         target_id=material.model_id, to_state=str(MaterialStatus.REVIEWING),
                         data={"campaign": campaign.project_id, "name": label})
            _material_enqueue(material.id)
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return material


def material_rename(*, material: Material, actor: AbstractBaseUser, name: str) -> Material:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationError(_("Enter a name of 1 to %(n)d characters.") % {"n": NAME_MAX})
    with transaction.atomic():
        if not Material.objects.filter(id=material.id).update(name=name, updated_at=timezone.now()):
            raise ValidationError(_("This material does not exist."))
        audit_record(actor=actor, account=material.account, action="material.rename", target_type="material",
                     target_id=material.model_id, reason=f"{material.name} → {name}")
    material.name = name
    return material


def material_set_degrees(*, material: Material, actor: AbstractBaseUser, face_degree: int | None,
                         profile_degree: int | None) -> Material:
    """Per-material degrees override the campaign's; None falls back to the campaign's."""
    if not version_has_degrees(material.campaign.version):
        raise ValidationError(_("The face swap version does not use degrees."))
    face = clean_degree(face_degree, field="face_degree")
    profile = clean_degree(profile_degree, field="profile_degree")
    with transaction.atomic():
        if not Material.objects.filter(id=material.id).update(face_degree=face, profile_degree=profile,
                                                              updated_at=timezone.now()):
            raise ValidationError(_("This material does not exist."))
        audit_record(actor=actor, account=material.account, action="material.degrees", target_type="material",
                     target_id=material.model_id, from_state=f"{material.face_degree}/{material.profile_degree}",
                     to_state=f"{face}/{profile}")
    material.face_degree, material.profile_degree = face, profile
    return material


def _material_delete_locked(*, material: Material, actor: AbstractBaseUser | None, reason: str = "") -> None:
    names = [material.image.name, *CopyrightProof.objects.filter(material=material).values_list("file", flat=True)]
    deleted, _rows = Material.objects.filter(id=material.id).delete()
    if not deleted:
        return
    audit_record(actor=actor, account=material.account, action="material.delete", target_type="material",
                 target_id=material.model_id, from_state=str(material.status), reason=reason,
                 data={"name": material.name})

    def _remove_files() -> None:
        for name in names:
            if name:
                try:
                    default_storage.delete(name)
                except OSError:
                    log.warning("could not delete stored file %s", name)

    transaction.on_commit(_remove_files)


def material_delete(*, account: Account, material: Material, actor: AbstractBaseUser | None) -> None:
    """Frees its quota slot at once."""
    if material.account_id != account.id:
        raise ValidationError(_("This material does not exist."))
    with transaction.atomic():
        _quota_row_locked(account)  # serialise with concurrent creations
        _material_delete_locked(material=material, actor=actor)


# --- automatic review ----------------------------------------------------------------------

def material_review_run(*, material_id: int) -> Material | None:
    """The automatic review of one material. Idempotent: a redelivered task, or one racing another
    worker, finds the material already decided (or loses the compare-and-swap) and writes nothing."""
    material = Material.objects.select_related("account").filter(id=material_id).first()
    if material is None or not material.awaiting_machine:
        return material
    try:
        with default_storage.open(material.image.name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        log.exception("material %s: stored image missing", material.model_id)
        data = b""  # gone for good: refused as undecodable
    except OSError:
        # A storage hiccup is not a verdict on the image: leave it in the machine stage for the sweeper.
        log.exception("material %s: stored image unreadable, left for the sweeper", material.model_id)
        return material
    outcome = review_image(data, material=material)
    now = timezone.now()
    fields = {
        "status": outcome.status,
        "review_flags": [str(f) for f in outcome.flags],
        "review_details": outcome.details,
        "audit_result": reason_text(outcome.flags, outcome.details),
        "template_record": outcome.record.to_json() if outcome.record is not None else None,
        "phash": outcome.phash,
        "updated_at": now,
    }
    if outcome.flagged:
        fields.update(review_stage=ReviewStage.OPERATOR, queued_at=now)
    else:
        fields.update(review_stage=ReviewStage.DONE, decided_at=now)
    with transaction.atomic():
        changed = Material.objects.filter(id=material.id, status=MaterialStatus.REVIEWING,
                                          review_stage=ReviewStage.MACHINE).update(**fields)
        if not changed:
            return Material.objects.filter(id=material.id).first()
        audit_record(actor=None, account=material.account, action="material.review.machine",
                     target_type="material", target_id=material.model_id,
                     from_state=str(MaterialStatus.REVIEWING), to_state=str(outcome.status),
                     reason=fields["audit_result"],
                     data={"flags": fields["review_flags"], "faces": len(outcome.record.faces) if outcome.record
                           else 0, "to_operator": outcome.flagged})
        material.refresh_from_db()
        if not outcome.flagged:
            # Flagged materials wait for an operator; their mail goes out when one decides.
            notices.notify_material_decided(material=material)
    return material


def material_review_sweep(*, now=None) -> int:
    """Re-queue reviews stuck in the machine stage past the deadline (a lost message, a dead worker).
    Each re-queue is a compare-and-swap on the enqueue time, so two sweepers never double it."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=review_deadline_seconds())
    stuck = Material.objects.filter(status=MaterialStatus.REVIEWING, review_stage=ReviewStage.MACHINE,
                                    review_enqueued_at__lt=cutoff).values_list("id", "review_enqueued_at")[:500]
    count = 0
    for material_id, enqueued_at in stuck:
        with transaction.atomic():
            if Material.objects.filter(id=material_id, review_enqueued_at=enqueued_at).update(review_enqueued_at=now):
                _material_enqueue(material_id)
                count += 1
    if count:
        log.warning("re-queued %d material reviews stuck past %ss", count, review_deadline_seconds())
    return count


# --- operator decisions --------------------------------------------------------------------

def material_decide(*, material_id: int, actor: AbstractBaseUser, approve: bool, reason: str = "",
                    expected_status: int | None = None) -> Material:
    """An operator's decision on a queue item: a flagged upload (0 → 1 / 2) or an appeal (3 → 11 / 12).
    Two operators deciding at once: the compare-and-swap lets exactly one through."""
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        material = Material.objects.select_related("account").filter(id=material_id).first()
        if material is None:
            raise ValidationError(_("This material no longer exists."))
        old = material.status
        stale = expected_status is not None and int(expected_status) != old
        if stale or material.review_stage != ReviewStage.OPERATOR or old not in (MaterialStatus.REVIEWING,
                                                                                  MaterialStatus.APPEALING):
            raise DecisionConflict(_("This item was already decided (now: %(status)s). Nothing was changed.")
                                   % {"status": material.get_status_display()}, code="conflict")
        if old == MaterialStatus.REVIEWING:
            new = MaterialStatus.MANUAL_PASSED if approve else MaterialStatus.MANUAL_FAILED
        else:
            new = MaterialStatus.APPEAL_PASSED if approve else MaterialStatus.APPEAL_FAILED
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
                     action="material.review.appeal" if old == MaterialStatus.APPEALING else "material.review.manual",
                     target_type="material", target_id=material.model_id, from_state=str(old), to_state=str(new),
                     reason=reason)
        material.refresh_from_db()
        if old == MaterialStatus.APPEALING:
            notices.notify_appeal_decided(material=material)
        else:
            notices.notify_material_decided(material=material)
    return material


# --- appeal and copyright proof --------------------------------------------------------------

def material_appeal(*, account: Account, material: Material, actor: AbstractBaseUser, text: str) -> Material:
    """One appeal per material, from 22 or 2, with a short text (22/2 → 3)."""
    text = (text or "").strip()
    if material.account_id != account.id:
        raise ValidationError(_("This material does not exist."))
    if not text:
        raise ValidationError(_("Say in a few words why the material should be approved."), code="text")
    if len(text) > APPEAL_MAX:
        raise ValidationError(_("Keep the appeal under %(n)d characters.") % {"n": APPEAL_MAX}, code="text")
    with transaction.atomic():
        now = timezone.now()
        changed = Material.objects.filter(id=material.id, account=account, status__in=APPEALABLE_STATUSES,
                                          appealed=False).update(
            status=MaterialStatus.APPEALING, review_stage=ReviewStage.OPERATOR, appealed=True, appeal_text=text,
            appealed_at=now, queued_at=now, updated_at=now)
        if not changed:
            current = Material.objects.get(id=material.id)
            if current.appealed:
                raise ValidationError(_("This material was already appealed once; a material can be appealed "
                                        "only once."), code="appealed")
            raise ValidationError(_("Only a material that failed review can be appealed (now: %(status)s).")
                                  % {"status": current.get_status_display()}, code="status")
        audit_record(actor=actor, account=account, action="material.appeal", target_type="material",
                     target_id=material.model_id, from_state=str(material.status),
                     to_state=str(MaterialStatus.APPEALING), reason=text)
    material.refresh_from_db()
    return material


def proof_create(*, account: Account, material: Material, actor: AbstractBaseUser, data: bytes,
                 filename: str = "", kind: str = ProofKind.ORIGINAL) -> CopyrightProof:
    if material.account_id != account.id:
        raise ValidationError(_("This material does not exist."))
    if kind not in ProofKind.values:
        raise ValidationError(_("Choose the kind of proof."))
    clean = clean_proof_file(data)
    stored = ""
    try:
        with transaction.atomic():
            if Material.objects.select_for_update().filter(id=material.id, account=account).first() is None:
                raise ValidationError(_("This material does not exist."))
            if CopyrightProof.objects.filter(material=material).count() >= MAX_PROOFS_PER_MATERIAL:
                raise ValidationError(_("A material holds at most %(n)d proofs.") % {"n": MAX_PROOFS_PER_MATERIAL})
            stored = default_storage.save(f"proofs/{account.app_id}/{_token()}.{clean.extension}",
                                          ContentFile(clean.data))
            proof = CopyrightProof.objects.create(
                account=account, material=material, kind=kind, file=stored, content_type=clean.content_type,
                byte_size=len(clean.data), original_name=_display_name(filename, "proof")[:100], uploaded_by=actor)
            audit_record(actor=actor, account=account, action="material.proof", target_type="material",
                         target_id=material.model_id, reason=proof.get_kind_display(),
                         data={"proof": proof.public_id})
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return proof


# --- operators' lists ----------------------------------------------------------------------

def _gallery_embedding(data: bytes) -> list[float]:
    if len(data) > GALLERY_PHOTO_MAX_BYTES:
        raise ValidationError(_("Each photo may be at most 5 MB."))
    if sniff_image(data) is None:
        raise ValidationError(_("Each photo must be a JPG or PNG image."))
    try:
        return get_engine().embedding_of(data)
    except EngineError as exc:
        raise ValidationError(_("No usable face in this photo (%(reason)s). Choose a clear frontal photo.")
                              % {"reason": exc.message_zh})


def figure_create(*, actor: AbstractBaseUser, name: str, note: str = "", photos: list[bytes]) -> PublicFigure:
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
        audit_record(actor=actor, account=None, action="gallery.create", target_type="public_figure",
                     target_id=figure.id, reason=name, data={"photos": len(photos)})
    return figure


def _figure_photo_store(figure: PublicFigure, data: bytes, embedding: list[float]) -> PublicFigurePhoto:
    ext = "png" if sniff_image(data) == "PNG" else "jpg"
    stored = default_storage.save(f"gallery/{_token()}.{ext}", ContentFile(data))
    return PublicFigurePhoto.objects.create(figure=figure, image=stored, embedding=embedding)


def figure_add_photo(*, actor: AbstractBaseUser, figure: PublicFigure, data: bytes) -> PublicFigurePhoto:
    embedding = _gallery_embedding(data)
    with transaction.atomic():
        photo = _figure_photo_store(figure, data, embedding)
        audit_record(actor=actor, account=None, action="gallery.photo", target_type="public_figure",
                     target_id=figure.id, reason=figure.name)
    return photo


def figure_delete(*, actor: AbstractBaseUser, figure: PublicFigure) -> None:
    names = list(figure.photos.values_list("image", flat=True))
    with transaction.atomic():
        audit_record(actor=actor, account=None, action="gallery.delete", target_type="public_figure",
                     target_id=figure.id, reason=figure.name)
        figure.delete()
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])


def protected_image_create(*, actor: AbstractBaseUser, name: str, data: bytes) -> ProtectedImage:
    name = (name or "").strip()[:60]
    if not name:
        raise ValidationError(_("Enter a name for the protected image."))
    if len(data) > GALLERY_PHOTO_MAX_BYTES:
        raise ValidationError(_("The image may be at most 5 MB."))
    fmt = sniff_image(data)
    if fmt is None:
        raise ValidationError(_("The protected image must be a JPG or PNG image."))
    try:
        phash = perceptual_hash(data)
    except EngineError:
        raise ValidationError(_("The image cannot be decoded. Save it again as JPG or PNG."))
    with transaction.atomic():
        stored = default_storage.save(f"protected/{_token()}.{'png' if fmt == 'PNG' else 'jpg'}", ContentFile(data))
        item = ProtectedImage.objects.create(name=name, image=stored, phash=phash)
        audit_record(actor=actor, account=None, action="protected_image.create", target_type="protected_image",
                     target_id=item.id, reason=name, data={"phash": phash})
    return item


def protected_image_delete(*, actor: AbstractBaseUser, item: ProtectedImage) -> None:
    with transaction.atomic():
        audit_record(actor=actor, account=None, action="protected_image.delete", target_type="protected_image",
                     target_id=item.id, reason=item.name)
        name = item.image.name
        item.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


def reason_template_create(*, actor: AbstractBaseUser, text: str) -> ReasonTemplate:
    text = (text or "").strip()[:200]
    if not text:
        raise ValidationError(_("Enter the reason text."))
    template, _created = ReasonTemplate.objects.get_or_create(text=text)
    return template


def reason_template_delete(*, actor: AbstractBaseUser, template: ReasonTemplate) -> None:
    template.delete()
