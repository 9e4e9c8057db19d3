"""Plain data the engine hands out and takes back; JSON-serialisable where it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Rect = tuple[int, int, int, int]  # x, y, w, h


@dataclass
class Face:
    face_id: str
    box: Rect
    score: float
    landmarks: list[tuple[float, float]]
    yaw: float
    pitch: float
    roll: float
    embedding: list[float] | None = None
    # The mesh's depth per landmark (record version 2: 468 MediaPipe points); None in version 1,
    # whose 68 points came from a model the engine no longer loads.
    depth: list[float] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "face_id": self.face_id,
            "box": list(self.box),
            "score": round(float(self.score), 4),
            "landmarks": [[round(float(x), 2), round(float(y), 2)] for x, y in self.landmarks],
            "yaw": round(float(self.yaw), 2),
            "pitch": round(float(self.pitch), 2),
            "roll": round(float(self.roll), 2),
            "embedding": None if self.embedding is None else [round(float(v), 6) for v in self.embedding],
            "depth": None if self.depth is None else [round(float(v), 2) for v in self.depth],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Face:
        x, y, w, h = (int(v) for v in data["box"])
        return cls(
            face_id=str(data["face_id"]),
            box=(x, y, w, h),
            score=float(data["score"]),
            landmarks=[(float(p[0]), float(p[1])) for p in data["landmarks"]],
            yaw=float(data["yaw"]),
            pitch=float(data["pitch"]),
            roll=float(data["roll"]),
            embedding=None if data.get("embedding") is None else [float(v) for v in data["embedding"]],
            depth=None if data.get("depth") is None else [float(v) for v in data["depth"]],
        )

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]

    def landmarks_array(self) -> np.ndarray:
        return np.asarray(self.landmarks, dtype=np.float32)

    def mesh_array(self) -> np.ndarray:
        """(N, 3) float64: x, y and depth (0 where the record has none)."""
        xy = np.asarray(self.landmarks, dtype=np.float64).reshape(-1, 2)
        z = np.zeros(len(xy)) if self.depth is None else np.asarray(self.depth, dtype=np.float64)
        return np.column_stack([xy, z])


@dataclass
class DecodedImage:
    pixels: np.ndarray  # BGR uint8, EXIF orientation applied
    format: str  # "JPEG" | "PNG"
    width: int
    height: int
    alpha: np.ndarray | None = None  # PNG transparency, kept for the result


# Version 2: each face has the 468 points and depths of MediaPipe's mesh. Version 1 records (68
# points) are upgraded by the engine when they are used (Engine.upgrade_record).
RECORD_VERSION = 2


@dataclass
class TemplateRecord:
    """What fusion needs about a template, computed once at review and stored as JSON."""

    width: int
    height: int
    format: str
    faces: list[Face]
    version: int = RECORD_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "width": self.width,
            "height": self.height,
            "format": self.format,
            "faces": [f.to_json() for f in self.faces],
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TemplateRecord:
        return cls(
            width=int(data["width"]),
            height=int(data["height"]),
            format=str(data["format"]),
            faces=[Face.from_json(f) for f in data["faces"]],
            version=int(data.get("version", 1)),
            extra=dict(data.get("extra") or {}),
        )

    def face(self, face_id: str | None) -> Face | None:
        if face_id is None:
            return max(self.faces, key=lambda f: f.area) if self.faces else None
        for f in self.faces:
            if f.face_id == face_id:
                return f
        return None


@dataclass
class FaceMapping:
    source: bytes
    source_face_rect: Rect | None = None
    template_face_id: str | None = None  # None -> the largest template face
    template_face_rect: Rect | None = None  # alternative to the id: the template face overlapping it


@dataclass(frozen=True)
class FuseOptions:
    """Knobs over a version's defaults, each with one direction of effect (tests/engine shows it).

    FuseFace uses the defaults; FuseFaceUltra's FusionUltraParam maps onto these."""

    warp: float | None = None  # 0-1: the face's outline toward the user's; None: the version's own
    enhance: float = 0.5  # 0-1: detail; 0.5 = as crisp as the inputs allow, up sharper, down softer
    smooth: float = 0.0  # 0-1: skin smoothing
    teeth: bool = False  # brighten and whiten the teeth that show
    makeup: bool = False  # the template's lip and eye colour onto the result


@dataclass
class Label:
    visible: bool = True
    logo: bytes | None = None
    logo_rect: Rect | None = None
    produce_id: str = ""
    propagator: str = "Ronghe"
    meta_key: str | None = None
    meta_value: str | None = None
    producer: str = "Ronghe"
    propagate_id: str = ""
