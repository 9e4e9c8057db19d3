"""Writes of the customer's side of materials (docs/materials.md): quota, upload, rename, degrees,
delete, appeal and copyright proofs. Each change is compare-and-swap inside a transaction with an
audit row. The automatic review is in review.py, the operators' side in operators.py."""

import logging
from pathlib import PurePosixPath, PureWindowsPath

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignStatus, version_has_degrees
from campaigns.services import clean_degree
from console.models import Account, AuditAction
from console.services import audit_record
from materials.models import (
    APPEAL_TRANSITIONS,
    AppealAction,
    CopyrightProof,
    Material,
    MaterialQuota,
    MaterialStatus,
    ProofKind,
    ReviewStage,
)
from materials.review import material_review_enqueue
from materials.uploads import clean_material_image, clean_proof_file, stored_name

log = logging.getLogger(__name__)

QUOTA_BLOCK = 10  # material quota is sold and granted in blocks of 10 (docs/billing.md)
NAME_MAX = 60
APPEAL_MAX = 500
MAX_PROOFS_PER_MATERIAL = 10


def _display_name(filename: str, fallback: str) -> str:
    # Only ever a label: the stored file gets a server-generated name.
    base = PureWindowsPath(PurePosixPath(filename or "").name).name
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(ch for ch in stem if ch.isprintable()).strip()
    return (stem or fallback)[:NAME_MAX]


# --- quota ---------------------------------------------------------------------------------

def _quota_row_locked(account: Account) -> MaterialQuota:
    """The account's quota row, locked until the transaction ends: concurrent creations queue here."""
    MaterialQuota.objects.get_or_create(account=account)
    return MaterialQuota.objects.select_for_update().get(account=account)


def material_quota_add(*, account: Account, blocks: int, actor: User | None, reason: str) -> None:
    """Add ``blocks`` × 10 material slots, permanently (a purchase, or an operator's grant)."""
    if not isinstance(blocks, int) or blocks <= 0:
        raise ValidationError(_("Enter a whole number of blocks, at least 1."))
    with transaction.atomic():
        row = _quota_row_locked(account)
        old_total = settings.MATERIAL_QUOTA_BASE + row.extra
        row.extra += blocks * QUOTA_BLOCK
        row.save(update_fields=["extra", "updated_at"])
        audit_record(actor=actor, account=account, action=AuditAction.MATERIAL_QUOTA_ADD, target_type="account",
                     target_id=account.id, from_state=str(old_total), to_state=str(old_total + blocks * QUOTA_BLOCK),
                     reason=reason, data={"blocks": blocks})


# --- upload --------------------------------------------------------------------------------

def material_slot_take(*, account: Account, campaign: Campaign, actor: User | None, filename: str = "",
                       name: str = "") -> str:
    """Inside the caller's transaction: lock the account's quota row and the campaign, refuse a
    disabled or missing campaign and a full quota; the material's name (given, or from the file's)."""
    quota = _quota_row_locked(account)
    # Re-read the campaign under a lock: a concurrent disable or delete (which locks it too) must not
    # let an upload in, whatever the caller's copy says.
    live = Campaign.objects.select_for_update().filter(id=campaign.id, account=account).first()
    if live is None:
        raise ValidationError(_("This campaign does not exist."))
    if live.status != CampaignStatus.ACTIVE:
        raise ValidationError(_("The campaign is disabled; enable it before uploading materials."), code="disabled")
    used = Material.objects.filter(account=account).count()
    total = settings.MATERIAL_QUOTA_BASE + quota.extra
    if used >= total:
        raise ValidationError(
            _("Your material quota is used up (%(used)d of %(total)d). Delete unused materials or buy "
              "more quota, then upload again.") % {"used": used, "total": total}, code="quota")
    return (name or "").strip()[:NAME_MAX] or _display_name(filename, _("Material"))


def material_create(*, account: Account, campaign: Campaign, actor: User | None, data: bytes,
                    filename: str = "", name: str = "", replaces: Material | None = None) -> Material:
    """Validate the image by content, take a quota slot atomically, store it re-encoded under a
    generated name, and hand it to the automatic review. ``replaces`` (same account) is deleted in the
    same transaction, so re-uploading a cropped image needs no free slot."""
    if campaign.account_id != account.id or (replaces is not None and replaces.account_id != account.id):
        raise ValidationError(_("This campaign does not exist."))
    if campaign.status != CampaignStatus.ACTIVE:
        raise ValidationError(_("The campaign is disabled; enable it before uploading materials."), code="disabled")
    if campaign.is_video:
        raise ValidationError(_("This is a video campaign; upload MP4 videos into it."), code="kind")
    clean = clean_material_image(data)
    stored = ""
    try:
        with transaction.atomic():
            if replaces is not None:
                # Locked in the order material_slot_take locks (quota first), then gone before counting.
                _quota_row_locked(account)
                _material_delete_locked(material=replaces, actor=actor, reason="replaced by a re-upload")
            label = material_slot_take(account=account, campaign=campaign, actor=actor, filename=filename, name=name)
            stored = default_storage.save(stored_name(f"materials/{account.app_id}", clean.extension),
                                          ContentFile(clean.data))
            now = timezone.now()
            material = Material.objects.create(
                account=account, campaign=campaign, name=label, image=stored, image_format=clean.format,
                width=clean.width, height=clean.height, byte_size=len(clean.data), created_by=actor,
                review_enqueued_at=now,
            )
            audit_record(actor=actor, account=account, action=AuditAction.MATERIAL_CREATE, target_type="material",
                         target_id=material.model_id, to_state=str(MaterialStatus.REVIEWING),
                         data={"campaign": campaign.project_id, "name": label})
            material_review_enqueue(material.id)
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return material


def material_rename(*, material: Material, actor: User, name: str) -> Material:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationError(_("Enter a name of 1 to %(n)d characters.") % {"n": NAME_MAX})
    with transaction.atomic():
        if not Material.objects.filter(id=material.id).update(name=name, updated_at=timezone.now()):
            raise ValidationError(_("This material does not exist."))
        audit_record(actor=actor, account=material.account, action=AuditAction.MATERIAL_RENAME, target_type="material",
                     target_id=material.model_id, reason=f"{material.name} → {name}")
    material.name = name
    return material


def material_set_degrees(*, material: Material, actor: User, face_degree: int | None,
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
        audit_record(actor=actor, account=material.account, action=AuditAction.MATERIAL_DEGREES, target_type="material",
                     target_id=material.model_id, from_state=f"{material.face_degree}/{material.profile_degree}",
                     to_state=f"{face}/{profile}")
    material.face_degree, material.profile_degree = face, profile
    return material


def _material_delete_locked(*, material: Material, actor: User | None, reason: str = "") -> None:
    names = [material.image.name, material.video.name, material.track.name,
             *CopyrightProof.objects.filter(material=material).values_list("file", flat=True)]
    deleted, _rows = Material.objects.filter(id=material.id).delete()
    if not deleted:
        return
    audit_record(actor=actor, account=material.account, action=AuditAction.MATERIAL_DELETE, target_type="material",
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


def material_delete(*, account: Account, material: Material, actor: User | None) -> None:
    """Frees its quota slot at once."""
    if material.account_id != account.id:
        raise ValidationError(_("This material does not exist."))
    with transaction.atomic():
        _quota_row_locked(account)  # serialise with concurrent creations
        _material_delete_locked(material=material, actor=actor)


# --- appeal and copyright proof --------------------------------------------------------------

def material_appeal(*, account: Account, material: Material, actor: User, text: str) -> Material:
    """One appeal per material, from 22 or 2, with a short text (22/2 → 3)."""
    text = (text or "").strip()
    if material.account_id != account.id:
        raise ValidationError(_("This material does not exist."))
    if not text:
        raise ValidationError(_("Say in a few words why the material should be approved."), code="text")
    if len(text) > APPEAL_MAX:
        raise ValidationError(_("Keep the appeal under %(n)d characters.") % {"n": APPEAL_MAX}, code="text")
    with transaction.atomic():
        current = Material.objects.select_for_update().filter(id=material.id, account=account).first()
        if current is None:
            raise ValidationError(_("This material does not exist."))
        old = current.status
        if not APPEAL_TRANSITIONS.allows(old, AppealAction.APPEAL):
            if current.appealed:
                raise ValidationError(_("This material was already appealed once; a material can be appealed "
                                        "only once."), code="appealed")
            raise ValidationError(_("Only a material that failed review can be appealed (now: %(status)s).")
                                  % {"status": current.get_status_display()}, code="status")
        new = APPEAL_TRANSITIONS.target(old, AppealAction.APPEAL)
        now = timezone.now()
        changed = Material.objects.filter(id=material.id, status=old).update(
            status=new, review_stage=ReviewStage.OPERATOR, appeal_text=text, appealed_at=now, queued_at=now,
            updated_at=now)
        if not changed:
            raise ValidationError(_("The material changed meanwhile; reload and try again."), code="conflict")
        audit_record(actor=actor, account=account, action=AuditAction.MATERIAL_APPEAL, target_type="material",
                     target_id=material.model_id, from_state=str(old), to_state=str(new), reason=text)
    material.refresh_from_db()
    return material


def proof_create(*, account: Account, material: Material, actor: User, data: bytes,
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
            stored = default_storage.save(stored_name(f"proofs/{account.app_id}", clean.extension),
                                          ContentFile(clean.data))
            proof = CopyrightProof.objects.create(
                account=account, material=material, kind=kind, file=stored, content_type=clean.content_type,
                byte_size=len(clean.data), original_name=_display_name(filename, "proof")[:100], uploaded_by=actor)
            audit_record(actor=actor, account=account, action=AuditAction.MATERIAL_PROOF, target_type="material",
                         target_id=material.model_id, reason=proof.get_kind_display(),
                         data={"proof": proof.public_id})
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return proof
