"""Piecewise-affine warps over mesh triangles, computed for every pixel (no coarse grid to
upsample), with the nearest triangle on top where a turned face overlaps itself."""

from __future__ import annotations

import cv2
import numpy as np


class Layout:
    """Which triangle covers each pixel of a w x h region, for triangles placed at `dst` (region
    pixels). Triangles are drawn far to near by their mean depth, so where they overlap (the nose
    over the far cheek of a turned face) the nearest wins."""

    def __init__(self, dst: np.ndarray, tris: np.ndarray, depth: np.ndarray, w: int, h: int) -> None:
        self.dst = np.asarray(dst, dtype=np.float64)
        self.tris = np.asarray(tris, dtype=np.int32)
        self.w, self.h = w, h
        ids = np.full((h, w), -1, dtype=np.int32)
        order = np.argsort(-np.asarray(depth, dtype=np.float64)[self.tris].mean(1), kind="stable")
        shift = 4
        pts = np.round(self.dst[self.tris] * (1 << shift)).astype(np.int32)
        for k in order:
            cv2.fillConvexPoly(ids, pts[k], int(k), cv2.LINE_8, shift)
        self.ids = ids

    def maps(
        self, src: np.ndarray, *, use: np.ndarray | None = None, window: tuple[int, int, int, int] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """cv2.remap tables reading the source at `src` (the triangles' vertices there) for the
        pixels of `window` (x, y, w, h; default the whole region) covered by a triangle in `use`
        (a boolean per triangle; default all). Other pixels come back invalid (map -1)."""
        x0, y0, w, h = (0, 0, self.w, self.h) if window is None else window
        ids = self.ids[y0 : y0 + h, x0 : x0 + w]
        valid = ids >= 0
        if use is not None:
            valid &= np.asarray(use, dtype=bool)[np.maximum(ids, 0)]
        ys, xs = np.nonzero(valid)
        coef = affine_coefficients(self.dst, np.asarray(src, dtype=np.float64), self.tris)[ids[ys, xs]]
        gx = (xs + x0).astype(np.float32)
        gy = (ys + y0).astype(np.float32)
        mapx = np.full((h, w), -1.0, dtype=np.float32)
        mapy = np.full((h, w), -1.0, dtype=np.float32)
        mapx[ys, xs] = coef[:, 0] * gx + coef[:, 1] * gy + coef[:, 2]
        mapy[ys, xs] = coef[:, 3] * gx + coef[:, 4] * gy + coef[:, 5]
        return mapx, mapy, valid


def affine_coefficients(dst: np.ndarray, src: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """(K, 6) float32: per triangle, (a, b, c, d, e, f) with src = (a x + b y + c, d x + e y + f)
    for a point (x, y) of the triangle at dst. A degenerate triangle maps to its source centroid."""
    d = dst[tris][:, :, :2]  # (K, 3, 2)
    s = src[tris][:, :, :2]
    x1, y1 = d[:, 1, 0] - d[:, 0, 0], d[:, 1, 1] - d[:, 0, 1]
    x2, y2 = d[:, 2, 0] - d[:, 0, 0], d[:, 2, 1] - d[:, 0, 1]
    det = x1 * y2 - x2 * y1
    ok = np.abs(det) > 1e-9
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    out = np.zeros((len(tris), 6), dtype=np.float64)
    for row, axis in ((0, 0), (3, 1)):
        u1 = s[:, 1, axis] - s[:, 0, axis]
        u2 = s[:, 2, axis] - s[:, 0, axis]
        a = (u1 * y2 - u2 * y1) * inv
        b = (u2 * x1 - u1 * x2) * inv
        c = s[:, 0, axis] - a * d[:, 0, 0] - b * d[:, 0, 1]
        centroid = s[:, :, axis].mean(1)
        out[:, row] = a
        out[:, row + 1] = b
        out[:, row + 2] = np.where(ok, c, centroid)
    return out.astype(np.float32)
