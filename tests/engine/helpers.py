"""Helpers shared by the engine tests."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image


def to_png(data: bytes) -> bytes:
    buf = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def pixels(data: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    assert img is not None
    return img


def distance(a: list[float] | np.ndarray, b: list[float] | np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def turned(engine, data: bytes, degrees: float) -> bytes:
    """The photo with its largest face turned `degrees` about the head's vertical axis (positive:
    toward the image's right), made by a geometric transform only: the face's own mesh rotated in
    3-D and the picture warped after it (the engine's piecewise-affine warp, nearest triangle on
    top, a ring around the face taking up the change). A test's side face; no photo needed."""
    import math

    from fusion.engine import fuse, geometry, warp

    img = engine.decode(data).pixels
    mesh = engine.analyse(data, thorough=False)[0].mesh_array()
    axes = geometry.head_axes(mesh)
    centre = mesh.mean(0)
    a = math.radians(degrees)
    # Rotate about the head's own vertical (y) axis: in the head frame, then back to the image.
    rot_head = np.array([[math.cos(a), 0.0, -math.sin(a)], [0.0, 1.0, 0.0], [math.sin(a), 0.0, math.cos(a)]])
    rot = axes @ rot_head @ axes.T
    moved = (mesh - centre) @ rot.T + centre
    h, w = img.shape[:2]
    (rx, ry, rw, rh), ring = fuse._region(mesh, moved, w, h, ring_factor=1.3)
    off = np.array([rx, ry, 0.0])
    layout = warp.Layout(
        np.vstack([(moved - off)[:, :2], ring - off[:2]]),
        fuse._ALL_TRIS,
        np.concatenate([(moved - off)[:, 2], np.full(len(ring), (moved - off)[:, 2].max() + 1.0)]),
        rw,
        rh,
    )
    out = img.copy()
    roi = img[ry : ry + rh, rx : rx + rw]
    out[ry : ry + rh, rx : rx + rw] = fuse.warp_template(roi, layout, mesh - off, ring - off[:2])
    ok, buf = cv2.imencode(".png", out)
    assert ok
    return buf.tobytes()
