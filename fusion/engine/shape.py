"""Where the fused face's mesh points go in the template.

The user's mesh is fitted onto the template's in 3-D (scale, rotation, translation over points
that follow the skull, not the expression), so the user's face is seen in the template's head
pose: a selfie turned 20 degrees or a template turned 30 degrees costs no distortion, because
the mesh's depth carries the turn. From there each point moves from the template's place toward
the user's: the inner features by ``features``, the outline by ``shape``, smoothly in between.

Expression belongs to the template: how far the mouth is open (the jaw drop) is the template's,
and a closed template mouth closes the fused one; the lips' shape, the mouth's width and place are
the user's. The template's mouth interior is warped into the fused opening, so its teeth sit
inside the fused lips.
"""

from __future__ import annotations

import numpy as np

from fusion.engine import geometry as geo
from fusion.engine import meshdata as md

# How much of the outline weight each point gets, by its number of mesh edges from the oval.
_OUTLINE_SHARE = np.clip(1.0 - md.RINGS_FROM_OVAL / 3.0, 0.0, 1.0)
_UPPER_MID = [82, 13, 312]
_LOWER_MID = [87, 14, 317]
_LOWER_LIP = sorted(set(md.LIPS_OUTER_LOWER[1:-1] + md.LIPS_INNER_LOWER[1:-1] + md.LIPS_MIDDLE[22:]))
_UPPER_LIP = sorted(set(md.LIPS_OUTER_UPPER[1:-1] + md.LIPS_INNER_UPPER[1:-1] + md.LIPS_MIDDLE[:22]))


def align(source: np.ndarray, template: np.ndarray) -> np.ndarray:
    """The source mesh (N, 3) fitted onto the template's by a 3-D similarity over STABLE points."""
    s, rot, t = geo.similarity3d(source[md.STABLE], template[md.STABLE])
    return source @ (s * rot).T + t


def _mouth_opening(mesh: np.ndarray) -> np.ndarray:
    return mesh[_LOWER_MID].mean(0) - mesh[_UPPER_MID].mean(0)


def with_template_opening(user: np.ndarray, template: np.ndarray) -> np.ndarray:
    """The aligned user mesh with its jaw opened or closed as far as the template's: the lower lip
    moves fully, the chin and jaw below the mouth fully at the middle and less toward the jaw's
    angles (a jaw turns about the ears), nothing above the mouth corners."""
    delta = _mouth_opening(template) - _mouth_opening(user)
    axes = geo.head_axes(user)
    rel = (user - user[list(md.MOUTH_CORNERS)].mean(0)) @ axes  # head frame, origin between corners
    lip_gap = float(rel[_LOWER_MID, 1].mean())
    chin = float(rel[md.CHIN, 1]) or 1.0
    half_w = float(np.ptp(rel[md.FACE_OVAL, 0])) / 2.0 or 1.0
    # 0 at the corners' level, 1 from the lower lip down; narrower toward the sides.
    down = np.clip((rel[:, 1]) / max(lip_gap, 0.15 * chin, 1e-6), 0.0, 1.0)
    side = np.clip(1.0 - 0.5 * (rel[:, 0] / half_w) ** 2, 0.0, 1.0)
    k = down * side
    k[_UPPER_LIP] = 0.0
    k[_LOWER_LIP] = 1.0
    return user + k[:, None] * delta


def mouth_open(mesh: np.ndarray) -> bool:
    """Lips apart by more than a twentieth of the mouth's width."""
    width = float(np.linalg.norm(mesh[md.MOUTH_CORNERS[1], :2] - mesh[md.MOUTH_CORNERS[0], :2])) or 1.0
    return float(np.linalg.norm(_mouth_opening(mesh)[:2])) / width > 0.05


def fused_mesh(template: np.ndarray, source: np.ndarray, *, features: float, shape: float) -> np.ndarray:
    """(N, 3) target mesh in template pixels: 0 is the template, 1 the user, per part."""
    template = np.asarray(template, dtype=np.float64)
    user = with_template_opening(align(np.asarray(source, dtype=np.float64), template), template)
    weight = features + (shape - features) * _OUTLINE_SHARE
    out = template + (user - template) * weight[:, None]
    if not mouth_open(template):
        # Shut, whatever the user's lips did: the two inner lip lines become one.
        line = (out[md.LIPS_INNER_UPPER] + out[md.LIPS_INNER_LOWER]) / 2.0
        out[md.LIPS_INNER_UPPER] = line
        out[md.LIPS_INNER_LOWER] = line
    return _unfolded(out, template)


def _signed_areas(mesh: np.ndarray) -> np.ndarray:
    a, b, c = (mesh[md.TESSELATION[:, i], :2] for i in range(3))
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])


def _unfolded(target: np.ndarray, template: np.ndarray) -> np.ndarray:
    """The target with the folds smoothed out: a point of a triangle that turned over (a fold
    would tear the warp) takes the mean move of its neighbours, round after round, so the shape
    stays smooth around it. Slivers (under a tenth of the mean area) are left alone; they flip
    between any two faces and tear nothing."""
    ref = _signed_areas(template)
    live = np.abs(ref) > 0.1 * float(np.abs(ref).mean())
    move = target - template
    for _ in range(10):
        bad = (_signed_areas(template + move) * ref < 0) & live
        if not bad.any():
            break
        for v in np.unique(md.TESSELATION[bad]):
            move[v] = move[md.NEIGHBOURS[v]].mean(0)
    return template + move
