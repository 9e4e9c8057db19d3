"""The automatic review (docs/materials.md): the judgement — what the engine finds in a template
image and what the operators' lists say about it — and the task's service that stores it, plus the
sweeper that re-queues reviews whose message was lost."""

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from console.clock import now_or
from console.models import AuditAction
from console.services import audit_record
from fusion.engine import (
    EngineError,
    FaceSizeTooSmall,
    NoFaceDetected,
    TemplateRecord,
    get_engine,
    hash_distance,
    perceptual_hash,
)
from materials import notices
from materials.models import (
    REVIEW_TRANSITIONS,
    Material,
    MaterialKind,
    MaterialStatus,
    ProtectedImage,
    PublicFigurePhoto,
    ReviewAction,
    ReviewFlag,
    ReviewStage,
)

log = logging.getLogger(__name__)

MAX_FACES = 6
SIDE_FACE_DEGREES = 30.0


@dataclass
class ReviewOutcome:
    action: str  # the machine's action on the review table: pass, fail, or hand to an operator
    flags: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    record: TemplateRecord | None = None
    phash: str = ""
    review_status: int = MaterialStatus.REVIEWING  # 31 for a video

    @property
    def status(self) -> int:
        return REVIEW_TRANSITIONS.target(self.review_status, self.action)

    @property
    def flagged(self) -> bool:
        return self.action == ReviewAction.MACHINE_FLAG


def _distance(a: list[float], b: list[float]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=False)))


def review_image(data: bytes, *, material: Material) -> ReviewOutcome:
    engine = get_engine()
    try:
        phash = perceptual_hash(data)
    except EngineError:
        return ReviewOutcome(action=ReviewAction.MACHINE_FAIL, flags=[ReviewFlag.UNDECODABLE])
    try:
        record = engine.analyse_template(data)
    except NoFaceDetected:
        return ReviewOutcome(action=ReviewAction.MACHINE_FAIL, flags=[ReviewFlag.NO_FACE], phash=phash,
                             record=_empty_record(material))
    except FaceSizeTooSmall:
        return ReviewOutcome(action=ReviewAction.MACHINE_FAIL, flags=[ReviewFlag.FACE_TOO_SMALL], phash=phash,
                             record=_empty_record(material))
    except EngineError as exc:
        return ReviewOutcome(action=ReviewAction.MACHINE_FAIL, flags=[ReviewFlag.UNDECODABLE], phash=phash,
                             details={"engine": exc.code})
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:
        # A crash inside the face stack on this one image must not send it round the sweeper forever.
        log.exception("engine failed on material %s", material.model_id)
        return ReviewOutcome(action=ReviewAction.MACHINE_FAIL, flags=[ReviewFlag.UNDECODABLE], phash=phash,
                             details={"engine": type(exc).__name__})
    if len(record.faces) > MAX_FACES:
        return ReviewOutcome(action=ReviewAction.MACHINE_FAIL, flags=[ReviewFlag.TOO_MANY_FACES],
                             details={"faces": len(record.faces)}, record=record, phash=phash)

    flags: list[str] = []
    details: dict = {}
    side = [f.face_id for f in record.faces if max(abs(f.yaw), abs(f.pitch)) > SIDE_FACE_DEGREES]
    if side:
        flags.append(ReviewFlag.SIDE_FACE)
        details["side_faces"] = side
    matches = _gallery_matches(record)
    if matches:
        flags.append(ReviewFlag.PUBLIC_FIGURE)
        details["public_figures"] = matches
    protected = _protected_matches(phash)
    if protected:
        flags.append(ReviewFlag.PROTECTED_IMAGE)
        details["protected_images"] = protected
    duplicates = _duplicate_matches(phash, material=material)
    if duplicates:
        flags.append(ReviewFlag.DUPLICATE)
        details["duplicates"] = duplicates
    action = ReviewAction.MACHINE_FLAG if flags else ReviewAction.MACHINE_PASS
    return ReviewOutcome(action=action, flags=flags, details=details, record=record, phash=phash)


def review_video(material: Material) -> ReviewOutcome:
    """The machine review of a preprocessed video (31): its poster frame is checked as an image is
    (side face, protected images, other accounts' materials), and the role's face on sampled frames
    against the public-figure gallery. Nothing to fail: preprocessing refused what cannot be fused."""
    from fusion.engine import Face
    from materials.video import sampled_embeddings, video_record

    record = video_record(material)
    try:
        with default_storage.open(material.image.name or "", "rb") as fh:
            phash = perceptual_hash(fh.read())
    except (OSError, EngineError):
        phash = ""
    flags: list[str] = []
    details: dict = {}
    side = [f.face_id for f in record.faces[:1] if max(abs(f.yaw), abs(f.pitch)) > SIDE_FACE_DEGREES]
    if side:
        flags.append(ReviewFlag.SIDE_FACE)
        details["side_faces"] = side
    sampled = sampled_embeddings(material)
    frames = TemplateRecord(width=record.width, height=record.height, format=record.format, faces=[
        Face(face_id=f"frame_{index}", box=(0, 0, 0, 0), score=1.0, landmarks=[], yaw=0.0, pitch=0.0, roll=0.0,
             embedding=emb) for index, emb in sampled])
    matches = _gallery_matches(frames)
    if matches:
        flags.append(ReviewFlag.PUBLIC_FIGURE)
        details["public_figures"] = matches
    details["sampled_frames"] = [index for index, _emb in sampled]
    if phash:
        protected = _protected_matches(phash)
        if protected:
            flags.append(ReviewFlag.PROTECTED_IMAGE)
            details["protected_images"] = protected
        duplicates = _duplicate_matches(phash, material=material)
        if duplicates:
            flags.append(ReviewFlag.DUPLICATE)
            details["duplicates"] = duplicates
    action = ReviewAction.MACHINE_FLAG if flags else ReviewAction.MACHINE_PASS
    return ReviewOutcome(action=action, flags=flags, details=details, record=record, phash=phash,
                         review_status=MaterialStatus.PREPROCESSED)


def _empty_record(material: Material) -> TemplateRecord:
    return TemplateRecord(width=material.width, height=material.height, format=material.image_format, faces=[])


def _gallery_matches(record: TemplateRecord) -> list[dict]:
    limit = settings.REVIEW_FACE_MATCH_DISTANCE
    photos = list(PublicFigurePhoto.objects.select_related("figure").only("embedding", "figure__name"))
    best: dict[int, dict] = {}
    for face in record.faces:
        if face.embedding is None:
            continue
        for photo in photos:
            d = _distance(face.embedding, photo.embedding)
            if d < limit and (photo.figure_id not in best or d < best[photo.figure_id]["distance"]):
                best[photo.figure_id] = {"figure": photo.figure.name, "figure_id": photo.figure_id,
                                         "face_id": face.face_id, "distance": round(d, 3)}
    return sorted(best.values(), key=lambda m: m["distance"])


def _protected_matches(phash: str) -> list[dict]:
    limit = settings.REVIEW_PHASH_DISTANCE
    out = []
    for pid, name, other in ProtectedImage.objects.values_list("id", "name", "phash"):
        d = hash_distance(phash, other)
        if d <= limit:
            out.append({"id": pid, "name": name, "distance": d})
    return out


def _duplicate_matches(phash: str, *, material: Material) -> list[dict]:
    # A linear scan over other accounts' hashes: fine for tens of thousands of materials; beyond that,
    # index the hash bands (e.g. four 16-bit columns) and compare only rows sharing a band.
    limit = settings.REVIEW_PHASH_DISTANCE
    out = []
    rows = (Material.objects.exclude(account_id=material.account_id).exclude(phash="")
            .values_list("model_id", "account_id", "phash"))
    for model_id, account_id, other in rows.iterator(chunk_size=2000):
        d = hash_distance(phash, other)
        if d <= limit:
            out.append({"model_id": model_id, "account_id": account_id, "distance": d})
            if len(out) >= 5:
                break
    return out


def reason_text(flags: list[str], details: dict, *, language: str = "zh-hans") -> str:
    """The AuditResult a customer reads (Chinese, as the cloud answers), saying what to do."""
    with translation.override(language):
        parts = [_flag_sentence(flag, details) for flag in flags]
    return " ".join(p for p in parts if p)


def _flag_sentence(flag: str, details: dict) -> str:
    if details.get("recheck", {}).get("flag") == flag:
        return _recheck_sentence(flag, details)
    sentences: dict[str, str] = {
        ReviewFlag.NO_FACE: _("No face was found in the image. Upload a photo with a clear, frontal face."),
        ReviewFlag.FACE_TOO_SMALL: _("Every face is smaller than 34×34 pixels. Upload a larger image or crop "
                                     "closer to the face."),
        ReviewFlag.TOO_MANY_FACES: _("The image has %(n)d faces; at most 6 can be fused. Crop it to 6 faces "
                                     "or fewer.") % {"n": details.get("faces", 7)},
        ReviewFlag.UNDECODABLE: _("The image cannot be decoded. Save it again as JPG or PNG and re-upload it."),
        ReviewFlag.VIDEO_UNDECODABLE: _("The video cannot be decoded. Export it again as MP4 (H.264) and re-upload "
                                        "it."),
        ReviewFlag.VIDEO_LIMITS: _("The video exceeds the limits (20 s, 25 fps, 4K). Trim or re-encode it and "
                                   "re-upload it."),
        ReviewFlag.ROLE_ABSENT: _("No face of at least 34×34 pixels appears in the video. Upload a video in "
                                  "which the face to replace is clearly visible."),
        ReviewFlag.SIDE_FACE: _("A face is turned more than 30° (side face); an operator will check it. Frontal "
                                "faces give the best results."),
        ReviewFlag.PUBLIC_FIGURE: _("A face resembles a public figure; an operator will check it. Upload a "
                                    "copyright proof (portrait licence) to speed this up."),
        ReviewFlag.PROTECTED_IMAGE: _("The image matches a protected image; an operator will check it. Upload a "
                                      "copyright proof to speed this up."),
        ReviewFlag.DUPLICATE: _("The image matches a material of another account; an operator will check it. "
                                "Upload a copyright proof to speed this up."),
    }
    return str(sentences.get(flag, ""))


def _recheck_sentence(flag: str, details: dict) -> str:
    """Why an approved material went back to an operator after the platform's lists grew."""
    if flag == ReviewFlag.PUBLIC_FIGURE:
        names = "、".join(dict.fromkeys(m.get("figure", "") for m in details.get("public_figures", [])))
        return str(_("The platform added %(names)s to its public-figure gallery, and a face in this material "
                     "resembles them. The material is paused until an operator checks it again; upload a copyright "
                     "proof (portrait licence) to speed this up.") % {"names": names})
    names = "、".join(dict.fromkeys(m.get("name", "") for m in details.get("protected_images", [])))
    return str(_("The platform added the protected image %(names)s, and this material matches it. The material is "
                 "paused until an operator checks it again; upload a copyright proof to speed this up.")
               % {"names": names})


# --- the review task's service ------------------------------------------------------------------

def material_review_enqueue(material_id: int) -> None:
    from materials.tasks import review_material

    # The app's task class is DjangoTask (config/celery.py), which celery-types cannot see here.
    review_material.delay_on_commit(material_id)  # type: ignore[attr-defined]


def material_review_run(*, material_id: int) -> Material | None:
    """The automatic review of one material. Idempotent: a redelivered task, or one racing another
    worker, finds the material already decided (or loses the compare-and-swap) and writes nothing."""
    material = Material.objects.select_related("account").filter(id=material_id).first()
    if material is None or not material.awaiting_machine:
        return material
    if material.is_video:
        return _review_store(material, review_video(material))
    try:
        with default_storage.open(material.image.name or "", "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        log.exception("material %s: stored image missing", material.model_id)
        data = b""  # gone for good: refused as undecodable
    except OSError:
        # A storage hiccup is not a verdict on the image: leave it in the machine stage for the sweeper.
        log.exception("material %s: stored image unreadable, left for the sweeper", material.model_id)
        return material
    return _review_store(material, review_image(data, material=material))


def _review_store(material: Material, outcome: ReviewOutcome) -> Material | None:
    now = timezone.now()
    fields: dict[str, Any] = {
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
        changed = Material.objects.filter(id=material.id, status=outcome.review_status,
                                          review_stage=ReviewStage.MACHINE).update(**fields)
        if not changed:
            return Material.objects.filter(id=material.id).first()
        audit_record(actor=None, account=material.account, action=AuditAction.MATERIAL_REVIEW_MACHINE,
                     target_type="material", target_id=material.model_id,
                     from_state=str(outcome.review_status), to_state=str(outcome.status),
                     reason=fields["audit_result"],
                     data={"flags": fields["review_flags"], "details": outcome.details,
                           "faces": len(outcome.record.faces) if outcome.record
                           else 0, "to_operator": outcome.flagged})
        material.refresh_from_db()
        if not outcome.flagged:
            # Flagged materials wait for an operator; their mail goes out when one decides.
            notices.notify_material_decided(material=material)
    return material


def material_review_sweep(*, now: datetime | None = None) -> int:
    """Re-queue reviews stuck in the machine stage past the deadline (a lost message, a dead worker).
    Each re-queue is a compare-and-swap on the enqueue time, so two sweepers never double it."""
    now = now_or(now)
    cutoff = now - timedelta(seconds=settings.MATERIAL_REVIEW_DEADLINE_SECONDS)
    from materials.video import material_preprocess_enqueue

    waiting = (Q(kind=MaterialKind.IMAGE, status=MaterialStatus.REVIEWING, review_stage=ReviewStage.MACHINE)
               | Q(kind=MaterialKind.VIDEO, status=MaterialStatus.PREPROCESSED, review_stage=ReviewStage.MACHINE)
               | Q(kind=MaterialKind.VIDEO, status=MaterialStatus.REVIEWING, review_stage=ReviewStage.PREPROCESS))
    stuck = Material.objects.filter(waiting, review_enqueued_at__lt=cutoff).values_list(
        "id", "review_enqueued_at", "review_stage")[:500]
    count = 0
    for material_id, enqueued_at, stage in stuck:
        with transaction.atomic():
            if Material.objects.filter(id=material_id, review_enqueued_at=enqueued_at).update(review_enqueued_at=now):
                if stage == ReviewStage.PREPROCESS:
                    material_preprocess_enqueue(material_id)
                else:
                    material_review_enqueue(material_id)
                count += 1
    if count:
        log.warning("re-queued %d material reviews stuck past %ss", count, settings.MATERIAL_REVIEW_DEADLINE_SECONDS)
    return count
