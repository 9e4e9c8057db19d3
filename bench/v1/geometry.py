"""Engine v1's face geometry on 68 points, frozen as it was at commit 5b3cb0b
(fusion/engine/geometry.py) for the bench's "before" column (bench/v1/fuse.py).

Face geometry: a generic 3-D face for pose, similarity alignment, landmark groups."""

from __future__ import annotations

import cv2
import numpy as np

# A mirror-symmetric mean of frontal 68-point shapes (unit = distance between the eye centres,
# origin between the eyes, y down), measured on the public-domain corpus photos.
_MEAN_2D = np.array(
    [
        (-1.151, -0.476),
        (-1.136, -0.185),
        (-1.101, 0.108),
        (-1.049, 0.399),
        (-0.950, 0.672),
        (-0.782, 0.908),
        (-0.557, 1.099),
        (-0.302, 1.243),
        (0.000, 1.284),
        (0.302, 1.243),
        (0.557, 1.099),
        (0.782, 0.908),
        (0.950, 0.672),
        (1.049, 0.399),
        (1.101, 0.108),
        (1.136, -0.185),
        (1.151, -0.476),
        (-0.914, -0.741),
        (-0.795, -0.901),
        (-0.602, -0.973),
        (-0.387, -0.975),
        (-0.182, -0.920),
        (0.182, -0.920),
        (0.387, -0.975),
        (0.602, -0.973),
        (0.795, -0.901),
        (0.914, -0.741),
        (0.000, -0.692),
        (0.000, -0.496),
        (0.000, -0.308),
        (0.000, -0.111),
        (-0.257, 0.035),
        (-0.132, 0.071),
        (0.000, 0.103),
        (0.132, 0.071),
        (0.257, 0.035),
        (-0.692, -0.609),
        (-0.572, -0.688),
        (-0.429, -0.695),
        (-0.303, -0.609),
        (-0.432, -0.587),
        (-0.572, -0.581),
        (0.303, -0.609),
        (0.429, -0.695),
        (0.572, -0.688),
        (0.692, -0.609),
        (0.572, -0.581),
        (0.432, -0.587),
        (-0.487, 0.423),
        (-0.318, 0.335),
        (-0.139, 0.302),
        (0.000, 0.330),
        (0.139, 0.302),
        (0.318, 0.335),
        (0.487, 0.423),
        (0.322, 0.567),
        (0.147, 0.629),
        (0.000, 0.642),
        (-0.147, 0.629),
        (-0.322, 0.567),
        (-0.421, 0.426),
        (-0.138, 0.385),
        (0.000, 0.402),
        (0.138, 0.385),
        (0.421, 0.426),
        (0.143, 0.503),
        (0.000, 0.516),
        (-0.143, 0.503),
    ],
    dtype=np.float64,
)

JAW = list(range(0, 17))
BROWS = list(range(17, 27))
NOSE = list(range(27, 36))
LEFT_EYE = list(range(36, 42))
RIGHT_EYE = list(range(42, 48))
MOUTH = list(range(48, 68))
INNER_MOUTH = list(range(60, 68))
# Points whose position follows the head rather than the expression: used to align shapes.
STABLE = [27, 28, 29, 30, 31, 33, 35, 36, 39, 42, 45, *JAW[2:15]]


def _depth() -> np.ndarray:
    x = _MEAN_2D[:, 0]
    # A head is roughly an ellipsoid; features sit on it with the nose standing out and the eyes
    # set in. Rough, but pose only needs to be good to a few degrees for the 30 degree rule.
    z = 0.9 * np.sqrt(np.clip(1.0 - (x / 1.25) ** 2, 0.0, None))
    z[LEFT_EYE + RIGHT_EYE] -= 0.15
    z[BROWS] -= 0.02
    for i, dz in zip(NOSE, (0.05, 0.15, 0.25, 0.35, 0.10, 0.17, 0.22, 0.17, 0.10), strict=True):
        z[i] += dz
    z[MOUTH] += 0.05
    z[[51, 57, 62, 66]] += 0.05
    return z


# OpenCV camera frame: x right, y down, z away from the camera (so the nose has the smallest z).
MODEL_3D = np.column_stack([_MEAN_2D[:, 0], _MEAN_2D[:, 1], -_depth()]).astype(np.float64)
_POSE_POINTS = [*range(17, 68), 0, 4, 8, 12, 16]
_POSE_MODEL = MODEL_3D[_POSE_POINTS]


def _camera(width: int, height: int, centre: np.ndarray | None = None) -> np.ndarray:
    # The principal point sits on the face: pose is measured against the ray to the face, so a
    # face near the top of a portrait is not reported as looking up.
    f = float(max(width, height))
    cx, cy = (width / 2.0, height / 2.0) if centre is None else (float(centre[0]), float(centre[1]))
    return np.array([[f, 0, cx], [0, f, cy], [0, 0, 1]], dtype=np.float64)


def solve_pose(landmarks: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    c = landmarks[27:36].mean(0)
    cam = _camera(width, height, c)
    img = landmarks[_POSE_POINTS].astype(np.float64)
    # Start from a frontal guess at the right distance so the iteration does not flip the head.
    iod = inter_ocular(landmarks) or 1.0
    tz = cam[0, 0] / iod
    tvec0 = np.array([[(c[0] - cam[0, 2]) * tz / cam[0, 0]], [(c[1] - cam[1, 2]) * tz / cam[1, 1]], [tz]])
    rvec0 = np.zeros((3, 1))
    ok, rvec, tvec = cv2.solvePnP(_POSE_MODEL, img, cam, None, rvec0, tvec0, True, cv2.SOLVEPNP_ITERATIVE)
    if not ok:
        return rvec0, tvec0
    return rvec, tvec


def estimate_pose(landmarks: np.ndarray, width: int, height: int) -> tuple[float, float, float]:
    """Yaw, pitch, roll in degrees. Yaw > 0: the face turns toward the image's right; pitch > 0:
    the face looks down; roll > 0: the head tilts clockwise in the image."""
    rvec, _ = solve_pose(landmarks, width, height)
    return euler(rvec)


def euler(rvec: np.ndarray) -> tuple[float, float, float]:
    """Yaw, pitch, roll in degrees of a solvePnP rotation vector (conventions as estimate_pose)."""
    rot, _ = cv2.Rodrigues(rvec)
    angles = cv2.RQDecomp3x3(rot)[0]
    pitch, yaw, roll = float(angles[0]), float(angles[1]), float(angles[2])
    return _wrap(-yaw), _wrap(-pitch), _wrap(roll)


def _wrap(a: float) -> float:
    while a > 180.0:
        a -= 360.0
    while a < -180.0:
        a += 360.0
    if a > 90.0:
        a -= 180.0
    elif a < -90.0:
        a += 180.0
    return a


def project_model(
    rvec: np.ndarray, tvec: np.ndarray, width: int, height: int, centre: np.ndarray
) -> np.ndarray:
    pts, _ = cv2.projectPoints(MODEL_3D, rvec, tvec, _camera(width, height, centre), None)
    return pts.reshape(-1, 2).astype(np.float64)


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 least-squares similarity transform taking src points onto dst points (Umeyama)."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rot = u @ sign @ vt
    var = (s**2).sum() / len(src)
    scale = float((sig * np.diag(sign)).sum() / var) if var > 0 else 1.0
    t = md - scale * rot @ ms
    return np.hstack([scale * rot, t[:, None]])


def apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    pts = np.asarray(pts, dtype=np.float64)
    return pts @ m[:, :2].T + m[:, 2]


def inter_ocular(landmarks: np.ndarray) -> float:
    return float(np.linalg.norm(landmarks[36:42].mean(0) - landmarks[42:48].mean(0)))
