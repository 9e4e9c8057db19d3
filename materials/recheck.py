"""Looking back when the operators' lists grow (docs/materials.md, "Rights re-check").

The automatic review checks an upload against the public-figure gallery and the protected images as
they are at that moment. When an operator adds a person, a photo of a person or a protected image,
``rights_recheck`` (a Celery task on the ``review`` queue, enqueued on commit) compares every usable
material against the new entry, from the faces' embeddings and the perceptual hash stored at review,
and sends each match back to the operators' queue (status 0, stage operator) with a reason the
customer reads. A material is unusable for fusion until an operator decides again.

Idempotent: a material already moved, or one an operator already approved knowing of this very
person or image, is left alone; each move is a compare-and-swap on (status, stage done)."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from console.models import AuditAction
from console.services import audit_record
from fusion.engine import hash_distance
from materials import notices
from materials.models import (
    REVIEW_TRANSITIONS,
    USABLE_STATUSES,
    Material,
    MaterialStatus,
    ProtectedImage,
    PublicFigurePhoto,
    ReviewAction,
    ReviewFlag,
    ReviewStage,
)
from materials.review import reason_text

log = logging.getLogger(__name__)

KIND_FIGURE = "public_figure"
KIND_PROTECTED = "protected_image"


def rights_recheck_enqueue(*, kind: str, item_id: int) -> None:
    from materials.tasks import rights_recheck

    rights_recheck.delay_on_commit(kind, item_id)  # type: ignore[attr-defined]


def _distance(a: list[float], b: list[float]) -> float:
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=False)))


def _figure_match(material: Material, photos: list[PublicFigurePhoto]) -> dict[str, Any] | None:
    limit = settings.REVIEW_FACE_MATCH_DISTANCE
    best: dict[str, Any] | None = None
    for face in material.faces:
        embedding = face.get("embedding")
        if not embedding:
            continue
        for photo in photos:
            d = _distance(embedding, photo.embedding)
            if d < limit and (best is None or d < best["distance"]):
                best = {"figure": photo.figure.name, "figure_id": photo.figure_id, "face_id": face["face_id"],
                        "distance": round(d, 3)}
    return best


def _candidates() -> Any:
    return (Material.objects.filter(status__in=USABLE_STATUSES, review_stage=ReviewStage.DONE)
            .select_related("account").order_by("id"))


def rights_recheck(*, kind: str, item_id: int) -> int:
    """Send the usable materials matching a new gallery entry or protected image back to the queue.
    Returns how many were sent."""
    moved = 0
    if kind == KIND_FIGURE:
        photos = list(PublicFigurePhoto.objects.select_related("figure").filter(figure_id=item_id))
        if not photos:
            return 0
        for material in _candidates().exclude(template_record__isnull=True).iterator(chunk_size=500):
            known = {m.get("figure_id") for m in (material.review_details or {}).get("public_figures", [])}
            if item_id in known:
                continue  # an operator already decided with this person on file
            match = _figure_match(material, photos)
            if match is not None:
                moved += _send_back(material, flag=ReviewFlag.PUBLIC_FIGURE, key="public_figures", match=match)
    elif kind == KIND_PROTECTED:
        item = ProtectedImage.objects.filter(id=item_id).first()
        if item is None:
            return 0
        limit = settings.REVIEW_PHASH_DISTANCE
        for material in _candidates().exclude(phash="").iterator(chunk_size=500):
            known = {m.get("id") for m in (material.review_details or {}).get("protected_images", [])}
            if item.id in known:
                continue
            d = hash_distance(material.phash, item.phash)
            if d <= limit:
                moved += _send_back(material, flag=ReviewFlag.PROTECTED_IMAGE, key="protected_images",
                                    match={"id": item.id, "name": item.name, "distance": d})
    else:
        raise ValueError(f"unknown re-check kind {kind!r}")
    if moved:
        log.info("rights re-check of %s %s sent %d materials back to the review queue", kind, item_id, moved)
    return moved


def _send_back(material: Material, *, flag: str, key: str, match: dict[str, Any]) -> int:
    old = material.status
    new = REVIEW_TRANSITIONS.target(old, ReviewAction.RECHECK)
    flags = [f for f in (material.review_flags or []) if f != flag] + [str(flag)]
    details = dict(material.review_details or {})
    details[key] = [*details.get(key, []), match]
    details["recheck"] = {"flag": str(flag), "from_status": old, "at": timezone.now().isoformat()}
    now = timezone.now()
    with transaction.atomic():
        changed = Material.objects.filter(id=material.id, status=old, review_stage=ReviewStage.DONE).update(
            status=new, review_stage=ReviewStage.OPERATOR, review_flags=flags, review_details=details,
            audit_result=reason_text([flag], details), queued_at=now, decided_at=None, updated_at=now)
        if not changed:
            return 0  # changed meanwhile (deleted, decided): nothing to pull back
        audit_record(actor=None, account=material.account, action=AuditAction.MATERIAL_REVIEW_RECHECK,
                     target_type="material", target_id=material.model_id, from_state=str(old), to_state=str(new),
                     reason=reason_text([flag], details), data={"flag": str(flag), "match": match})
        material.refresh_from_db()
        notices.notify_material_rechecked(material=material)
    return 1


def recheck_pending(material: Material) -> bool:
    """Whether the material waits for an operator because a later gallery entry or image matched it."""
    return material.status == MaterialStatus.REVIEWING and bool((material.review_details or {}).get("recheck"))
