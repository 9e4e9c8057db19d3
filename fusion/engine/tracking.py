"""The template video's per-frame analysis: one face (the role) tracked through every frame, its
landmarks smoothed over time, a poster frame picked. Computed once when a video material is
preprocessed and stored beside it (``Track.save``), so a fusion job never analyses the template.

Tracking: the role is the largest face of the first frame that has one. On each next frame the
landmarks are fitted in a box predicted from the previous frame's points (no detector run), and
the detector runs again every ``REDETECT_EVERY`` frames, after a lost frame, or when the fitted
points stray from the predicted box. Smoothing is offline and zero-phase (a Gaussian over time
within each run of frames where the face is present), so it removes the fitter's frame-to-frame
noise without delaying the motion.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fusion.engine.engine import MIN_FACE_SIDE, MIN_PRESENCE, Engine
from fusion.engine.errors import FaceSizeTooSmall, NoFaceDetected
from fusion.engine.facestack import _iou

REDETECT_EVERY = 12
# Temporal smoothing of the landmarks, in frames (at 25 fps a sigma of 1.5 frames is 60 ms).
SMOOTH_SIGMA = 1.5
# A fitted face whose box overlaps the predicted one less than this is a lost track: detect again.
MIN_TRACK_IOU = 0.4


class RoleNotInVideo(NoFaceDetected):
    """No frame of the template has a usable face (material status 33)."""

    code = "FailedOperation.FaceIdNotInVideo"
    message_zh = "视频中未检测到可融合的人脸"
    message_en = "No usable face appears in the video"


@dataclass
class Track:
    """Per frame: the role's smoothed landmarks (x, y, depth; NaN where the face is absent), the
    landmarks as fitted (for the benchmark's jitter figure), and whether the face is present."""

    points: np.ndarray  # (frames, N, 3) float32
    raw: np.ndarray  # (frames, N, 3) float32
    present: np.ndarray  # (frames,) bool
    poster: int  # index of the poster frame

    @property
    def frames(self) -> int:
        return len(self.present)

    def save(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, points=self.points, raw=self.raw, present=self.present,
                            poster=np.int64(self.poster))
        return buf.getvalue()

    @classmethod
    def load(cls, data: bytes) -> Track:
        with np.load(io.BytesIO(data)) as z:
            return cls(points=z["points"], raw=z["raw"], present=z["present"].astype(bool), poster=int(z["poster"]))

    def box(self, index: int) -> tuple[int, int, int, int] | None:
        if not self.present[index]:
            return None
        pts = self.points[index, :, :2]
        x0, y0 = np.floor(pts.min(0)).astype(int)
        x1, y1 = np.ceil(pts.max(0)).astype(int)
        return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def _fit(engine: Engine, bgr: np.ndarray, gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray | None:
    """The face mesh in ``box`` (468 points with depth, (N, 3)), or None when the model says no face
    is there (its presence score under the engine's own threshold)."""
    mesh, presence = engine.stack.mesh(bgr, box)
    return None if presence < MIN_PRESENCE else np.asarray(mesh, dtype=np.float32)


def _box_of(points: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0 = points[:, :2].min(0)
    x1, y1 = points[:, :2].max(0)
    w, h = x1 - x0, y1 - y0
    # The detector's box is about the landmarks' extent; keep the same framing.
    x0, y0 = max(0.0, x0 - 0.05 * w), max(0.0, y0 - 0.05 * h)
    x1, y1 = min(width - 1.0, x1 + 0.05 * w), min(height - 1.0, y1 + 0.05 * h)
    return int(x0), int(y0), max(1, int(x1 - x0)), max(1, int(y1 - y0))


Box = tuple[int, int, int, int]


def _detect(engine: Engine, gray: np.ndarray, near: Box | None) -> Box | None:
    dets = [d for d in engine.stack.detect(gray, thorough=near is None) if min(d.box[2], d.box[3]) >= MIN_FACE_SIDE]
    if not dets:
        return None
    if near is None:
        return max(dets, key=lambda d: d.box[2] * d.box[3]).box
    best = max(dets, key=lambda d: _iou(d.box, near))
    return best.box if _iou(best.box, near) >= 0.2 else None


def track(engine: Engine, frames: Iterable[tuple[int, np.ndarray]], n_frames: int) -> Track:
    """Follow the role through ``frames`` ((index, BGR) in order, ``n_frames`` of them).

    Raises RoleNotInVideo when no frame has a face of at least MIN_FACE_SIDE pixels."""
    raw: np.ndarray | None = None
    present = np.zeros(n_frames, bool)
    prev: np.ndarray | None = None  # last fitted points
    since_detect = 0
    small = False
    for index, bgr in frames:
        if index >= n_frames:
            break
        h, w = bgr.shape[:2]
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        pts = None
        if prev is not None and since_detect < REDETECT_EVERY:
            predicted = _box_of(prev, w, h)
            pts = _fit(engine, bgr, gray, predicted)
            if pts is not None and _iou(_box_of(pts, w, h), predicted) < MIN_TRACK_IOU:
                pts = None
            since_detect += 1
        if pts is None:
            box = _detect(engine, gray, None if prev is None else _box_of(prev, w, h))
            since_detect = 0
            pts = _fit(engine, bgr, gray, box) if box is not None else None
        if pts is not None and min(np.ptp(pts[:, 0]), np.ptp(pts[:, 1])) < MIN_FACE_SIDE * 0.8:
            small, pts = True, None
        if pts is None:
            prev = None
            continue
        if raw is None:
            raw = np.full((n_frames, len(pts), 3), np.nan, np.float32)
        raw[index] = pts
        present[index] = True
        prev = pts
    if raw is None:
        if small:
            raise FaceSizeTooSmall("the face is smaller than 34 px in every frame")
        raise RoleNotInVideo()
    points = smooth(raw, present)
    return Track(points=points, raw=raw, present=present, poster=pick_poster(points, present))


def smooth(raw: np.ndarray, present: np.ndarray, sigma: float = SMOOTH_SIGMA) -> np.ndarray:
    """A zero-phase Gaussian over time, within each run of consecutive present frames (the run's
    ends are mirrored, so a run's first and last frames are not pulled toward nothing)."""
    out = raw.copy()
    radius = max(1, round(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    idx = np.flatnonzero(present)
    if not len(idx):
        return out
    breaks = np.flatnonzero(np.diff(idx) > 1)
    for run in np.split(idx, breaks + 1):
        seq = raw[run].astype(np.float64)  # (T, N, 3)
        if len(seq) < 3:
            continue
        padded = np.concatenate([seq[radius:0:-1], seq, seq[-2:-radius - 2:-1]]) if len(seq) > radius else \
            np.concatenate([np.repeat(seq[:1], radius, 0), seq, np.repeat(seq[-1:], radius, 0)])
        acc = np.zeros_like(seq)
        for k, wgt in enumerate(kernel):
            acc += wgt * padded[k:k + len(seq)]
        out[run] = acc.astype(np.float32)
    return out


def pick_poster(points: np.ndarray, present: np.ndarray) -> int:
    """The frame whose face is largest and most frontal (the nose tip nearest the middle of the
    face's box), among present frames; the first present frame on ties."""
    best, best_score = int(np.flatnonzero(present)[0]), -np.inf
    for i in np.flatnonzero(present):
        pts = points[i, :, :2]
        lo, hi = pts.min(0), pts.max(0)
        size = float(np.prod(hi - lo))
        centre = (lo + hi) / 2
        # The mean of the points approximates the face's middle for any landmark layout.
        off = float(np.linalg.norm(pts.mean(0) - centre) / max(hi[0] - lo[0], 1.0))
        score = np.sqrt(size) * (1.0 - 2.0 * off)
        if score > best_score + 1e-6:
            best, best_score = int(i), score
    return best


def motion(points: np.ndarray, present: np.ndarray) -> float:
    """Mean frame-to-frame displacement of the landmarks, over consecutive present frames, in
    units of the face's width (the benchmark's jitter figure compares the result's with this)."""
    steps = []
    for i in range(1, len(present)):
        if present[i] and present[i - 1]:
            a, b = points[i - 1, :, :2], points[i, :, :2]
            width = float(np.ptp(b[:, 0])) or 1.0
            steps.append(float(np.linalg.norm(b - a, axis=1).mean()) / width)
    return float(np.mean(steps)) if steps else 0.0


def acceleration(points: np.ndarray, present: np.ndarray) -> float:
    """Mean second difference of the landmarks (the jerk a viewer sees as jitter), relative to the
    face's width, over runs of three consecutive present frames."""
    steps = []
    for i in range(2, len(present)):
        if present[i] and present[i - 1] and present[i - 2]:
            a, b, c = points[i - 2, :, :2], points[i - 1, :, :2], points[i, :, :2]
            width = float(np.ptp(c[:, 0])) or 1.0
            steps.append(float(np.linalg.norm(a - 2 * b + c, axis=1).mean()) / width)
    return float(np.mean(steps)) if steps else 0.0


def track_file(engine: Engine, path: Path | str, n_frames: int) -> Track:
    from fusion.engine import video

    return track(engine, video.frames(path), n_frames)
