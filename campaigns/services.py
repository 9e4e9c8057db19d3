"""Writes of campaigns (docs/campaigns.md). Each change is compare-and-swap with an audit row."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import (
    CAMPAIGN_TRANSITIONS,
    NAME_MAX,
    Campaign,
    CampaignKind,
    CampaignVersion,
    default_degree,
    version_has_degrees,
)
from console.models import Account, AuditAction
from console.services import audit_record


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a campaign name.")})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": _("The name is %(n)d characters long; use at most %(max)d.")
                               % {"n": len(name), "max": NAME_MAX}})
    return name


def _clean_version(version: str) -> str:
    if version not in CampaignVersion.values:
        raise ValidationError({"version": _("Choose one of the algorithm versions.")})
    return version


def clean_degree(value: int | None, *, field: str) -> int | None:
    if value is None:
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter a whole number from 0 to 100.")})
    if not 0 <= value <= 100:
        raise ValidationError({field: _("Enter a whole number from 0 to 100.")})
    return value


def campaign_create(*, account: Account, actor: User, name: str,
                    version: str = CampaignVersion.FACESWAP, face_degree: int | None = None,
                    profile_degree: int | None = None, kind: str = CampaignKind.IMAGE) -> Campaign:
    """A campaign of image or video materials. A video campaign fuses with the face swap version:
    video fusion has no degrees."""
    name = _clean_name(name)
    if kind not in CampaignKind.values:
        raise ValidationError(_("Choose image or video face fusion."), code="kind")
    if kind == CampaignKind.VIDEO:
        version = CampaignVersion.FACESWAP
    version = _clean_version(version)
    fallback = default_degree(version)
    face = clean_degree(face_degree, field="face_degree") if version_has_degrees(version) else None
    profile = clean_degree(profile_degree, field="profile_degree") if version_has_degrees(version) else None
    with transaction.atomic():
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    campaign = Campaign.objects.create(
                        account=account, name=name, kind=kind, version=version,
                        face_degree=fallback if face is None else face,
                        profile_degree=fallback if profile is None else profile,
                    )
                break
            except IntegrityError:  # a ProjectId collision: draw again
                continue
        else:
            raise RuntimeError("could not draw a unique ProjectId")
        audit_record(actor=actor, account=account, action=AuditAction.CAMPAIGN_CREATE, target_type="campaign",
                     target_id=campaign.project_id, to_state=campaign.status,
                     data={"version": version, "kind": kind})
    return campaign


def campaign_rename(*, campaign: Campaign, actor: User, name: str) -> Campaign:
    name = _clean_name(name)
    with transaction.atomic():
        old = campaign.name
        if not Campaign.objects.filter(id=campaign.id).update(name=name, updated_at=timezone.now()):
            raise ValidationError(_("The campaign changed meanwhile; reload and try again."))
        audit_record(actor=actor, account=campaign.account, action=AuditAction.CAMPAIGN_RENAME, target_type="campaign",
                     target_id=campaign.project_id, reason=f"{old} → {name}")
    campaign.name = name
    return campaign


def campaign_set_version(*, campaign: Campaign, actor: User, version: str) -> Campaign:
    """Switch the algorithm version. The degrees move to the new version's default level,
    since the levels of the two morphing versions differ."""
    version = _clean_version(version)
    if campaign.is_video and version != CampaignVersion.FACESWAP:
        raise ValidationError(_("Video campaigns use the face swap version only."), code="kind")
    with transaction.atomic():
        old = campaign.version
        if old == version:
            return campaign
        degree = default_degree(version)
        changed = Campaign.objects.filter(id=campaign.id, version=old).update(
            version=version, face_degree=degree, profile_degree=degree, updated_at=timezone.now())
        if not changed:
            raise ValidationError(_("The campaign changed meanwhile; reload and try again."))
        audit_record(actor=actor, account=campaign.account, action=AuditAction.CAMPAIGN_VERSION, target_type="campaign",
                     target_id=campaign.project_id, from_state=old, to_state=version)
    campaign.version, campaign.face_degree, campaign.profile_degree = version, degree, degree
    return campaign


def campaign_set_degrees(*, campaign: Campaign, actor: User, face_degree: int,
                         profile_degree: int) -> Campaign:
    if not version_has_degrees(campaign.version):
        raise ValidationError(_("The face swap version does not use degrees."))
    face = clean_degree(face_degree, field="face_degree")
    profile = clean_degree(profile_degree, field="profile_degree")
    if face is None or profile is None:
        raise ValidationError(_("Enter both degrees."))
    with transaction.atomic():
        # Compare-and-swap on the version: a concurrent switch has already moved the degrees to the new
        # version's default level, and this version's levels must not overwrite them.
        if not Campaign.objects.filter(id=campaign.id, version=campaign.version).update(
                face_degree=face, profile_degree=profile, updated_at=timezone.now()):
            raise ValidationError(_("The campaign changed meanwhile; reload and try again."))
        audit_record(actor=actor, account=campaign.account, action=AuditAction.CAMPAIGN_DEGREES, target_type="campaign",
                     target_id=campaign.project_id,
                     from_state=f"{campaign.face_degree}/{campaign.profile_degree}", to_state=f"{face}/{profile}")
    campaign.face_degree, campaign.profile_degree = face, profile
    return campaign


def campaign_transition(*, campaign: Campaign, actor: User, action: str) -> Campaign:
    """Enable or disable through CAMPAIGN_TRANSITIONS: a disabled campaign keeps its materials but takes
    no new uploads. Compare-and-swap on the old status: a concurrent change wins, this one is refused."""
    with transaction.atomic():
        old = campaign.status
        new = CAMPAIGN_TRANSITIONS.target(old, action)
        changed = Campaign.objects.filter(id=campaign.id, status=old).update(status=new, updated_at=timezone.now())
        if not changed:
            raise ValidationError(_("The campaign changed meanwhile; reload and try again."))
        audit_record(actor=actor, account=campaign.account, action=AuditAction.CAMPAIGN_STATUS, target_type="campaign",
                     target_id=campaign.project_id, from_state=old, to_state=new)
    campaign.status = new
    return campaign


def campaign_delete(*, campaign: Campaign, actor: User) -> None:
    """Only an empty campaign can go: its materials hold quota, history and proofs."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().filter(id=campaign.id).first()
        if locked is None:
            return
        count = locked.materials.count()
        if count:
            raise ValidationError(_("This campaign still holds %(n)d materials; delete them first.") % {"n": count})
        audit_record(actor=actor, account=campaign.account, action=AuditAction.CAMPAIGN_DELETE, target_type="campaign",
                     target_id=campaign.project_id, from_state=campaign.status, data={"name": campaign.name})
        locked.delete()

