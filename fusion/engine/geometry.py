"""Face geometry on the mesh: head pose from the mesh's own depth, the 3-D similarity fit."""

from __future__ import annotations

import math

import numpy as np

from fusion.engine import meshdata as md


def head_axes(mesh: np.ndarray) -> np.ndarray:
    """The head's axes in image space as the columns of a rotation matrix: x toward the subject's
    left (the image's right for a frontal face), y down the face, z into the head. Taken from the
    mesh itself (its mirror pairs and its midline), so no mean face model is involved."""
    pts = np.asarray(mesh, dtype=np.float64)
    right = np.mean([pts[b] - pts[a] for a, b in md.MIRROR_PAIRS], axis=0)
    x = right / (np.linalg.norm(right) or 1.0)
    down = pts[md.MIDLINE_BOTTOM].mean(0) - pts[md.MIDLINE_TOP].mean(0)
    y = down - x * float(down @ x)
    y /= np.linalg.norm(y) or 1.0
    z = np.cross(x, y)
    return np.column_stack([x, y, z])


def mesh_pose(mesh: np.ndarray) -> tuple[float, float, float]:
    """Yaw, pitch, roll in degrees. Yaw > 0: the face turns toward the image's right; pitch > 0:
    the face looks down; roll > 0: the head tilts clockwise in the image."""
    axes = head_axes(mesh)
    facing = -axes[:, 2]  # toward the camera for a frontal face
    yaw = math.degrees(math.atan2(facing[0], -facing[2]))
    pitch = math.degrees(math.atan2(facing[1], math.hypot(facing[0], facing[2])))
    roll = math.degrees(math.atan2(axes[1, 0], axes[0, 0]))
    return yaw, pitch, roll


def similarity3d(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Scale, rotation (3x3) and translation taking 3-D src points onto dst points (Umeyama)."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    ms, md_ = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md_
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[2, 2] = -1
    rot = u @ sign @ vt
    var = (s**2).sum() / len(src)
    scale = float((sig * np.diag(sign)).sum() / var) if var > 0 else 1.0
    return scale, rot, md_ - scale * rot @ ms


def inter_ocular(mesh: np.ndarray) -> float:
    """Distance between the eye centres (each the mean of its contour)."""
    pts = np.asarray(mesh, dtype=np.float64)[:, :2]
    return float(np.linalg.norm(pts[md.RIGHT_EYE].mean(0) - pts[md.LEFT_EYE].mean(0)))


def face_width(mesh: np.ndarray) -> float:
    """The width of the face oval's bounding box."""
    return float(np.ptp(np.asarray(mesh)[md.FACE_OVAL, 0]))
