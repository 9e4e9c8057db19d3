"""The face stack behind one interface: detection, the dense face mesh, 128-d embeddings.

* detection: dlib's HOG frontal detector (part of dlib's code, no model file);
* the mesh: MediaPipe Face Mesh (``face_landmark.tflite``, Apache-2.0), 468 points with depth,
  run by OpenCV's TFLite reader;
* the embedding: dlib's ResNet, on a face chip aligned with dlib's 5-point model (both public
  domain).

fusion/engine/models.py lists the files and where they come from. No model with a non-commercial
licence is installed or loaded: dlib's 68-point predictor, which the ``face-recognition-models``
archive also holds, is never copied out of it.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from fusion.engine import models

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

    def mesh(self, bgr: np.ndarray, box: Rect) -> tuple[np.ndarray, float]: ...

    def embedding(self, rgb: np.ndarray, box: Rect) -> np.ndarray: ...


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


class FaceMeshModel:
    """MediaPipe's face landmark model: a 192x192 RGB crop (0-1) around the face, about 1.5 times
    its size and turned upright, gives 468 (x, y, z) points in crop pixels and a face-presence
    logit. As MediaPipe's own pipeline does, a first pass on a crop from the detector's box is
    followed by one on a crop taken from that pass's points (upright by the eye line, 1.5 times
    the points' extent), which is the crop the model was trained on."""

    SIZE = 192
    SCALE = 1.5

    def __init__(self) -> None:
        self._net = cv2.dnn.readNetFromTFLite(str(models.model("face_mesh")), engine=cv2.dnn.ENGINE_CLASSIC)
        # conv2d_21: the 1404 landmark values; conv2d_31: the face-presence logit.
        self._outputs = ["conv2d_21", "conv2d_31"]
        self._lock = threading.Lock()

    def _run(self, img: np.ndarray, centre: np.ndarray, side: float, angle: float) -> tuple[np.ndarray, float]:
        """The model on the upright square crop of `img` at centre, side, angle: points in img's
        pixels, and the presence probability."""
        n = self.SIZE
        s = n / max(side, 1.0)
        c, sn = math.cos(angle), math.sin(angle)
        rot = np.array([[c, sn], [-sn, c]])  # image -> upright crop
        lin = s * rot
        m = np.hstack([lin, (n / 2.0 - lin @ centre)[:, None]])
        crop = cv2.warpAffine(img, m, (n, n), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        blob = cv2.dnn.blobFromImage(crop, 1.0 / 255.0, (n, n), swapRB=True)
        with self._lock:
            self._net.setInput(blob)
            pts, flag = self._net.forward(self._outputs)
        p = pts.reshape(-1, 3).astype(np.float64)
        out = np.empty_like(p)
        # crop = s * rot @ (image - centre) + n/2  =>  image = centre + rot.T @ (crop - n/2) / s
        out[:, :2] = centre + (p[:, :2] - n / 2.0) @ rot / s
        out[:, 2] = p[:, 2] / s
        presence = 1.0 / (1.0 + math.exp(-float(np.clip(flag.ravel()[0], -30, 30))))
        return out, presence

    def fit(self, bgr: np.ndarray, box: Rect) -> tuple[np.ndarray, float]:
        """The 468 (x, y, z) points in image pixels (z: depth in the same unit, smaller is nearer
        the camera) and the model's face-presence probability."""
        x, y, w, h = box
        centre = np.array([x + w / 2.0, y + h / 2.0])
        side = self.SCALE * max(w, h)
        img, origin, k = bgr, np.zeros(2), np.ones(2)
        if self.SIZE / side < 0.5:
            # A big face: shrink its neighbourhood by area once, to about twice the model's input,
            # so neither crop aliases (room around it for the second pass's crop).
            H, W = bgr.shape[:2]
            x0, y0 = max(0, int(centre[0] - side)), max(0, int(centre[1] - side))
            x1, y1 = min(W, int(centre[0] + side) + 1), min(H, int(centre[1] + side) + 1)
            f = 2.0 * self.SIZE / side
            img = cv2.resize(bgr[y0:y1, x0:x1], None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            origin = np.array([x0, y0], dtype=np.float64)
            k = np.array([img.shape[1] / (x1 - x0), img.shape[0] / (y1 - y0)])
        # Image pixel p is pixel (p - origin + 0.5) * k - 0.5 of img.
        pts, _ = self._run(img, (centre - origin + 0.5) * k - 0.5, side * float(k.mean()), 0.0)
        pts, presence = self._run(img, *self.roi_of(pts))
        pts[:, :2] = (pts[:, :2] + 0.5) / k - 0.5 + origin
        pts[:, 2] /= float(k.mean())
        return pts, presence

    @classmethod
    def roi_of(cls, pts: np.ndarray) -> tuple[np.ndarray, float, float]:
        """The crop MediaPipe takes from a face's points: centre, side and angle of the eye line."""
        eye_r, eye_l = pts[33, :2], pts[263, :2]
        angle = math.atan2(eye_l[1] - eye_r[1], eye_l[0] - eye_r[0])
        c, sn = math.cos(angle), math.sin(angle)
        rot = np.array([[c, sn], [-sn, c]])
        up = pts[:, :2] @ rot.T
        lo, hi = up.min(0), up.max(0)
        centre = ((lo + hi) / 2.0) @ rot
        return centre, cls.SCALE * float((hi - lo).max()), angle


class HogDetector:
    """dlib's HOG detector. Detection works on a downscaled copy first and climbs to finer scales
    only when nothing was found, so a selfie costs one small HOG pass while a 34 px face in a small
    image is still found."""

    def __init__(self, *, coarse_side: int = 640, pixel_budget: int = 6_000_000) -> None:
        import dlib

        self._detector = dlib.get_frontal_face_detector()
        self.coarse_side = coarse_side
        self.pixel_budget = pixel_budget
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


class DlibEmbedder:
    """dlib's ResNet embedding on a 150 px chip aligned by the 5-point model from a face box."""

    def __init__(self) -> None:
        import dlib

        self._dlib = dlib
        self._five = dlib.shape_predictor(str(models.model("five_points")))
        self._encoder = dlib.face_recognition_model_v1(str(models.model("embedding")))
        self._lock = threading.Lock()

    def embedding(self, rgb: np.ndarray, box: Rect) -> np.ndarray:
        x, y, w, h = box
        rect = self._dlib.rectangle(int(x), int(y), int(x + w - 1), int(y + h - 1))
        with self._lock:
            shape = self._five(rgb, rect)
            chip = self._dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
            desc = self._encoder.compute_face_descriptor(chip)
        return np.asarray(desc, dtype=np.float32)


class DefaultFaceStack:
    """HOG detection, MediaPipe's mesh, dlib's 5-point-aligned embedding."""

    def __init__(self) -> None:
        self._hog = HogDetector()
        self._mesh = FaceMeshModel()
        self._embedder = DlibEmbedder()

    def detect(self, gray: np.ndarray, *, thorough: bool = False) -> list[Detection]:
        return self._hog.detect(gray, thorough=thorough)

    def mesh(self, bgr: np.ndarray, box: Rect) -> tuple[np.ndarray, float]:
        return self._mesh.fit(bgr, box)

    def embedding(self, rgb: np.ndarray, box: Rect) -> np.ndarray:
        return self._embedder.embedding(rgb, box)
