"""The call-time check of a template that was never uploaded as a material (FuseFaceUltra's): does it
show a public figure of the operators' gallery, copy a protected image, or copy one of the account's
own rejected materials? Reads only; the caller refuses and audits (docs/materials.md).

The thresholds are the automatic review's (``REVIEW_FACE_MATCH_DISTANCE``, ``REVIEW_PHASH_DISTANCE``),
so a template passes here exactly when its faces and pixels would not have been flagged at review.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

import numpy as np
from django.conf import settings
from django.db.models import Count, Max

from console.models import Account
from fusion.engine import hash_distance
from materials.models import Material, MaterialStatus, ProtectedImage, PublicFigurePhoto

REJECTED_STATUSES = (MaterialStatus.MACHINE_FAILED, MaterialStatus.MANUAL_FAILED, MaterialStatus.APPEAL_FAILED)

PUBLIC_FIGURE = "public_figure"
PROTECTED_IMAGE = "protected_image"
REJECTED_MATERIAL = "rejected_material"


@dataclass(frozen=True)
class ScreenMatch:
    kind: str  # PUBLIC_FIGURE | PROTECTED_IMAGE | REJECTED_MATERIAL
    ref: str  # the gallery person's id, the protected image's id, the material's ModelId
    name: str
    distance: float  # embedding distance (public figure) or differing hash bits
    face_id: str = ""  # the template's face that matched a public figure

    def as_dict(self) -> dict:
        return asdict(self)


class _Gallery:
    """The gallery's embeddings as one matrix, rebuilt when a photo is added or removed (one small
    aggregate query tells), so a call compares its faces with one matrix product."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[int, int] | None = None
        self.matrix = np.zeros((0, 128), np.float32)
        self.figures: list[tuple[int, str]] = []

    def current(self) -> tuple[np.ndarray, list[tuple[int, str]]]:
        stats = PublicFigurePhoto.objects.aggregate(n=Count("id"), last=Max("id"))
        key = (stats["n"], stats["last"] or 0)
        with self.lock:
            if key != self.key:
                rows = list(PublicFigurePhoto.objects.values_list("figure_id", "figure__name", "embedding"))
                self.matrix = (np.asarray([r[2] for r in rows], np.float32).reshape(len(rows), -1) if rows
                               else np.zeros((0, 128), np.float32))
                self.figures = [(r[0], r[1]) for r in rows]
                self.key = key
            return self.matrix, self.figures


_gallery = _Gallery()


def _public_figures(faces: list[tuple[str, list[float]]]) -> list[ScreenMatch]:
    matrix, figures = _gallery.current()
    if not faces or not len(matrix):
        return []
    limit = settings.REVIEW_FACE_MATCH_DISTANCE
    best: dict[int, ScreenMatch] = {}
    for face_id, embedding in faces:
        distances = np.linalg.norm(matrix - np.asarray(embedding, np.float32)[None, :], axis=1)
        for i in np.flatnonzero(distances < limit):
            figure_id, name = figures[int(i)]
            d = round(float(distances[i]), 3)
            if figure_id not in best or d < best[figure_id].distance:
                best[figure_id] = ScreenMatch(PUBLIC_FIGURE, str(figure_id), name, d, face_id)
    return sorted(best.values(), key=lambda m: m.distance)


def _by_hash(phash: str, rows: list[tuple[str, str, str]], kind: str) -> list[ScreenMatch]:
    limit = settings.REVIEW_PHASH_DISTANCE
    out = []
    for ref, name, other in rows:
        d = hash_distance(phash, other)
        if d <= limit:
            out.append(ScreenMatch(kind, ref, name, float(d)))
    return sorted(out, key=lambda m: m.distance)


def template_screen(*, account: Account, faces: list[tuple[str, list[float]]], phash: str) -> list[ScreenMatch]:
    """Every reason to refuse this template: gallery people its faces (``(face_id, embedding)``)
    resemble, protected images and the account's rejected materials its hash is near. Empty: it may
    be fused."""
    matches = _public_figures(faces)
    if phash:
        protected = [(str(pk), name, h) for pk, name, h in ProtectedImage.objects.values_list("id", "name", "phash")]
        matches += _by_hash(phash, protected, PROTECTED_IMAGE)
        rejected = (Material.objects.for_account(account).filter(status__in=REJECTED_STATUSES).exclude(phash="")
                    .values_list("model_id", "name", "phash"))
        matches += _by_hash(phash, list(rejected), REJECTED_MATERIAL)
    return matches
