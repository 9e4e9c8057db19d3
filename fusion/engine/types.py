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
        )

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]

    def landmarks_array(self) -> np.ndarray:
        return np.asarray(self.landmarks, dtype=np.float32)


@dataclass
class DecodedImage:
    pixels: np.ndarray  # BGR uint8, EXIF orientation applied
    format: str  # "JPEG" | "PNG"
    width: int
    height: int
    alpha: np.ndarray | None = None  # PNG transparency, kept for the result


@dataclass
class TemplateRecord:
    """What fusion needs about a template, computed once at review and stored as JSON."""

    width: int
    height: int
    format: str
    faces: list[Face]
    version: int = 1
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
