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
