"""The face stack behind one interface: detection, 68-point landmarks, 128-d embeddings.

The default stack is dlib (HOG detector, the 68-point shape predictor, the ResNet embedding)
with the model files the ``face-recognition-models`` package ships. The 68-point model is trained
on iBUG 300-W, whose terms exclude commercial use, so a deployment may swap in another stack that
implements :class:`FaceStack`; nothing else in the engine touches dlib.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

Rect = tuple[int, int, int, int]

# HOG scores: real faces in the corpus score >= 0.88 (upsample 1) while the astronaut's suit gives
# 0.12 and -0.15; the threshold sits between with margin for dim and stylised templates.
MIN_SCORE = 0.35
_HOG_WINDOW = 80  # dlib's frontal detector finds faces of about 80 px and up at a given scale


@dataclass
class Detection:
    box: Rect
    score: float


class FaceStack(Protocol):
    def detect(self, gray: np.ndarray, *, thorough: bool = False) -> list[Detection]: ...

    def landmarks(self, gray: np.ndarray, box: Rect) -> np.ndarray: ...

    def embedding(self, rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray: ...


def _nms(dets: list[Detection], iou_max: float = 0.3) -> list[Detection]:
    out: list[Detection] = []
    for d in sorted(dets, key=lambda d: -d.score):
        if all(_iou(d.box, o.box) < iou_max for o in out):
            out.append(d)
    return out


def _iou(a: Rect, b: Rect) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


class DlibFaceStack:
    """dlib HOG + 68 landmarks + ResNet embedding.

    Detection works on a downscaled copy first and climbs to finer scales only when nothing was
    found, so a selfie costs one small HOG pass while a 34 px face in a small image is still found.
    """

    def __init__(self, *, coarse_side: int = 640, pixel_budget: int = 6_000_000) -> None:
        import dlib
        import face_recognition_models as frm

        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(frm.pose_predictor_model_location())
        self._encoder = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
        self.coarse_side = coarse_side
        self.pixel_budget = pixel_budget
        # dlib objects are not documented as re-entrant; the worker threads share one stack.
        self._lock = threading.Lock()

    def _run(self, gray: np.ndarray, scale: float) -> list[Detection]:
        h, w = gray.shape[:2]
        if scale != 1.0:
            interp = cv2.INTER_AREA if scale < 1.0 else cv2.INTER_LINEAR
            img = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)
        else:
            img = gray
        with self._lock:
            rects, scores, _ = self._detector.run(img, 0, 0.0)
        out: list[Detection] = []
        for r, s in zip(rects, scores, strict=True):
            if s < MIN_SCORE:
                continue
            x0 = max(0, round(r.left() / scale))
            y0 = max(0, round(r.top() / scale))
            x1 = min(w, round((r.right() + 1) / scale))
            y1 = min(h, round((r.bottom() + 1) / scale))
            if x1 - x0 >= 4 and y1 - y0 >= 4:
                out.append(Detection(box=(x0, y0, x1 - x0, y1 - y0), score=float(s)))
        return _nms(out)

    def _scales(self, h: int, w: int, thorough: bool) -> list[float]:
        long_side = max(h, w)
        max_scale = (self.pixel_budget / float(h * w)) ** 0.5
        # Thorough: as fine as finding 40 px faces needs (dlib's upsample 1), within the budget.
        first = min(2.0, max_scale) if thorough else min(1.0, self.coarse_side / long_side)
        scales = [first]
        s = first
        # Climb until faces of ~20 px would be found, so a too-small face is reported as such.
        while _HOG_WINDOW / s > 20 and s * 2 <= max_scale * 1.001:
            s *= 2
            scales.append(s)
        return scales

    def detect(self, gray: np.ndarray, *, thorough: bool = False) -> list[Detection]:
        h, w = gray.shape[:2]
        for scale in self._scales(h, w, thorough):
            found = self._run(gray, scale)
            if found:
                return found
        return []

    def landmarks(self, gray: np.ndarray, box: Rect) -> np.ndarray:
        x, y, w, h = box
        rect = self._dlib.rectangle(int(x), int(y), int(x + w - 1), int(y + h - 1))
        with self._lock:
            shape = self._predictor(gray, rect)
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)

    def embedding(self, rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        dlib = self._dlib
        pts = [dlib.point(round(float(px)), round(float(py))) for px, py in landmarks]
        xs, ys = landmarks[:, 0], landmarks[:, 1]
        rect = dlib.rectangle(int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
        shape = dlib.full_object_detection(rect, pts)
        with self._lock:
            chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
            desc = self._encoder.compute_face_descriptor(chip)
        return np.asarray(desc, dtype=np.float32)
