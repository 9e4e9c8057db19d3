"""Reads of materials. Customer lookups are scoped by account (another account's id answers like a
missing one); the operator queue and lists are for operators only."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from campaigns.models import version_has_degrees
from console.clock import now_or
from console.models import Account
from fusion.engine import TemplateRecord
from materials.models import (
    USABLE_STATUSES,
    CopyrightProof,
    Material,
    MaterialQuota,
    ProtectedImage,
    PublicFigure,
    ReasonTemplate,
    ReviewStage,
)

WORKING_DAY = timedelta(days=1)


def material_quota(*, account: Account) -> tuple[int, int]:
    """(used, total): live materials against base plus purchased quota."""
    extra = MaterialQuota.objects.filter(account=account).values_list("extra", flat=True).first() or 0
    used = Material.objects.filter(account=account).count()
    return used, settings.MATERIAL_QUOTA_BASE + extra


def material_find(*, account: Account, model_id: str) -> Material | None:
    return Material.objects.for_account(account).select_related("campaign", "account").filter(
        model_id=model_id).first()


def material_get(*, account: Account, model_id: str) -> Material:
    material = material_find(account=account, model_id=model_id)
    if material is None:
        raise Http404
    return material


def material_list(*, account: Account, project_id: str = "", status: int | None = None,
                  query: str = "") -> QuerySet[Material]:
    qs = Material.objects.for_account(account).select_related("campaign")
    if project_id:
        qs = qs.filter(campaign__project_id=project_id)
    if status is not None:
        qs = qs.filter(status=status)
    query = query.strip()
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(model_id__iexact=query))
    return qs.order_by("-created_at", "-id")


def material_list_for_api(*, account: Account, project_id: str | None, model_id: str | None, offset: int,
                          limit: int) -> tuple[list[Material], int]:
    qs = Material.objects.for_account(account).select_related("campaign")
    if project_id:
        qs = qs.filter(campaign__project_id=project_id)
    if model_id:
        qs = qs.filter(model_id=model_id)
    qs = qs.order_by("-created_at", "-id")
    total = qs.count()
    offset, limit = max(0, int(offset)), max(0, int(limit))
    return list(qs[offset:offset + limit]), total


def material_names(*, account: Account, model_ids: Iterable[str]) -> dict[str, str]:
    """ModelId → name for the account's materials among ``model_ids`` (others' ids are left out)."""
    ids = {m for m in model_ids if m}
    if not ids:
        return {}
    return dict(Material.objects.for_account(account).filter(model_id__in=ids).values_list("model_id", "name"))


def material_usable_split(*, account: Account, project_id: str) -> tuple[list[Material], dict[str, int]]:
    """A campaign's materials usable for fusion, and how many of the others are in each state
    (reviewing, failed, appealing...), so a page can say why they are not offered."""
    usable: list[Material] = []
    missing: dict[str, int] = {}
    for material in material_list(account=account, project_id=project_id):
        if material.status in USABLE_STATUSES:
            usable.append(material)
        else:
            label = str(material.get_status_display())
            missing[label] = missing.get(label, 0) + 1
    return usable, missing


def material_is_usable(material: Material) -> bool:
    return material.status in USABLE_STATUSES


def material_template(material: Material) -> tuple[bytes, TemplateRecord]:
    """The stored template bytes and the engine record computed at review."""
    with default_storage.open(material.image.name or "", "rb") as fh:
        data = fh.read()
    if material.template_record:
        record = TemplateRecord.from_json(material.template_record)
    else:  # approved on appeal although the machine found no face: no faces to fuse into
        record = TemplateRecord(width=material.width, height=material.height, format=material.image_format,
                                faces=[])
    return data, record


def material_effective_degrees(material: Material) -> tuple[int, int]:
    """The material's own degrees, else its campaign's."""
    campaign = material.campaign
    face = material.face_degree if material.face_degree is not None else campaign.face_degree
    profile = material.profile_degree if material.profile_degree is not None else campaign.profile_degree
    return face, profile


def material_fuse_degrees(material: Material, *, face_degree: int | None = None,
                          profile_degree: int | None = None) -> tuple[int | None, int | None]:
    """The degrees a fusion with ``material`` uses: none when its version has none (换脸版 ignores a
    request's, as on the cloud), else the request's, falling back to the material's, then the campaign's."""
    if not version_has_degrees(material.campaign.version):
        return None, None
    face, profile = material_effective_degrees(material)
    return (face if face_degree is None else face_degree, profile if profile_degree is None else profile_degree)


def proof_list(*, material: Material) -> QuerySet[CopyrightProof]:
    return CopyrightProof.objects.filter(material=material).select_related("uploaded_by").order_by("created_at")


def proof_get(*, account: Account | None, model_id: str, proof_id: str) -> CopyrightProof:
    """The account's proof (None: an operator, any account's)."""
    qs = CopyrightProof.objects.select_related("material")
    if account is not None:
        qs = qs.filter(account=account)
    return get_object_or_404(qs, material__model_id=model_id, public_id=proof_id)


# --- operators -------------------------------------------------------------------------------

def review_queue() -> QuerySet[Material]:
    """Everything waiting for a person, oldest first: flagged uploads (0) and appeals (3)."""
    return (Material.objects.filter(review_stage=ReviewStage.OPERATOR)
            .select_related("account", "campaign").prefetch_related("proofs").order_by("queued_at", "id"))


def operator_material_get(*, model_id: str) -> Material:
    return get_object_or_404(Material.objects.select_related("account", "campaign"), model_id=model_id)


def working_day_deadline(start: datetime) -> datetime:
    """One working day after ``start`` (weekends do not count), in the site's time zone."""
    local = timezone.localtime(start)
    due = local + WORKING_DAY
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


def queue_age(material: Material, *, now: datetime | None = None) -> dict:
    now = now_or(now)
    start = material.queued_at or material.created_at
    due = working_day_deadline(start)
    return {"age": now - start, "due": due, "overdue": now > due, "hours": int((now - start).total_seconds() // 3600)}


def figure_list() -> QuerySet[PublicFigure]:
    return PublicFigure.objects.prefetch_related("photos").order_by("name", "id")


def figure_get(*, figure_id: int) -> PublicFigure:
    return get_object_or_404(PublicFigure, id=figure_id)


def protected_image_list() -> QuerySet[ProtectedImage]:
    return ProtectedImage.objects.order_by("-created_at", "-id")


def protected_image_get(*, item_id: int) -> ProtectedImage:
    return get_object_or_404(ProtectedImage, id=item_id)


def reason_templates() -> QuerySet[ReasonTemplate]:
    return ReasonTemplate.objects.order_by("text")


# --- crop advice (docs/materials.md) ----------------------------------------------------------

def crop_advice(material: Material, *, max_side: int = 1080) -> dict | None:
    """When the faces have less than one face-box of margin in total per axis (half a box on each side:
    a 20×50 face wants at least 40×100), the framing that gives them that margin, in image
    coordinates (it may reach past the image: the extra area is filled when applied), and the scale
    that keeps the result within the upload limit. None when the framing is fine."""
    faces = material.faces
    if not faces or material.is_video:  # a video is framed when it is shot; nothing to extend here
        return None
    xs = [f["box"][0] for f in faces]
    ys = [f["box"][1] for f in faces]
    x0, y0 = min(xs), min(ys)
    x1 = max(f["box"][0] + f["box"][2] for f in faces)
    y1 = max(f["box"][1] + f["box"][3] for f in faces)
    main = faces[0]["box"]
    mx, my = main[2] / 2, main[3] / 2
    width, height = material.width, material.height
    short = {"left": x0 < mx, "right": width - x1 < mx, "top": y0 < my, "bottom": height - y1 < my}
    if not any(short.values()):
        return None
    cx0 = int(min(0, x0 - mx))
    cy0 = int(min(0, y0 - my))
    cx1 = int(max(width, x1 + mx + 0.999))
    cy1 = int(max(height, y1 + my + 0.999))
    w, h = cx1 - cx0, cy1 - cy0
    scale = min(1.0, max_side / w, max_side / h)
    return {"x": cx0, "y": cy0, "w": w, "h": h, "scale": round(scale, 4),
            "out_w": max(1, int(w * scale)), "out_h": max(1, int(h * scale)),
            "sides": [side for side, is_short in short.items() if is_short]}


@dataclass(frozen=True)
class ReviewBacklog:
    waiting: int
    oldest_seconds: float  # 0 when nothing waits


def review_backlog(*, now: datetime | None = None) -> dict[str, ReviewBacklog]:
    """Materials waiting for a decision, by who holds them (video preprocessing, the machine, an
    operator), with the oldest one's wait: since it entered the operator queue, or since upload."""
    now = now_or(now)
    rows = (Material.objects.exclude(review_stage=ReviewStage.DONE).values("review_stage")
            .annotate(waiting=Count("id"), oldest=Min(Coalesce("queued_at", "created_at")),
                      oldest_upload=Min("created_at")))
    found = {row["review_stage"]: row for row in rows}
    backlog = {}
    for stage in (ReviewStage.PREPROCESS, ReviewStage.MACHINE, ReviewStage.OPERATOR):
        row = found.get(stage)
        if row is None:
            backlog[str(stage)] = ReviewBacklog(waiting=0, oldest_seconds=0.0)
            continue
        since = row["oldest"] if stage == ReviewStage.OPERATOR else row["oldest_upload"]
        backlog[str(stage)] = ReviewBacklog(waiting=row["waiting"],
                                            oldest_seconds=max((now - since).total_seconds(), 0.0))
    return backlog
