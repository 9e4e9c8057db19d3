# mypy: ignore-errors
# (A frozen copy for the bench: kept as it was, numpy/OpenCV typing included.)
"""Engine v1's per-face fusion, frozen as it was at commit 5b3cb0b (fusion/engine/fuse.py) so
`make bench` can show it beside v2 in one run. Only this docstring's first paragraph and the
import of its geometry changed. It works on 68 points; the bench feeds it 68 points mapped from
the MediaPipe mesh (bench/v1/landmarks68.py), never dlib's 68-point model.

Per-face fusion: geometry, piecewise-affine warps, colour transfer and blending.

Everything here works inside one face's region of interest, so the cost does not grow with the
template's size. The three versions share one pipeline and differ in how far the geometry and
the texture move toward the user (DESIGN §5):

* ``faceswap``: the user's texture over the whole face; the template's pose, jaw line, mouth
  opening, hair and scene stay; the inner features take the user's proportions.
* ``reinvent``: a morph: landmarks interpolated between user and template by the two degrees,
  texture alpha by FuseFaceDegree, and the user's head pose removed from the user's shape first.
* ``redefine``: the same morph with softer, wider blending.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from bench.v1 import geometry as geo

VERSIONS = ("faceswap", "reinvent", "redefine")

_HULL_IDX = geo.JAW + geo.BROWS[::-1]
# A face's head pose as target_landmarks needs it: solvePnP's rvec and tvec, the camera's
# principal point (the face's centre) and the image's (width, height).
Pose = tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]


@dataclass
class FaceParams:
    """How far each part moves toward the user: 1.0 is the user, 0.0 the template."""

    features: float  # inner features' geometry (eyes, brows, nose, mouth)
    shape: float  # jaw line / face outline geometry
    texture: float  # maximum alpha of the user's texture
    feather: float  # blur of the mask edge, as a fraction of the face size
    pose_correct: float  # how much of the user's head pose is taken out of their shape (0-1)
    forehead: float = 0.3  # how far above the brows the user's skin goes (of brow-to-nose-tip)


def params_for(version: str, face_degree: int | None, profile_degree: int | None) -> FaceParams:
    if version == "faceswap":
        # Measured on the corpus (bench/): the user's full inner-feature geometry, most of the
        # outline, and a narrow feather carry identity best without seams.
        return FaceParams(features=1.0, shape=0.6, texture=1.0, feather=0.035, pose_correct=0.25)
    fd = 30 if face_degree is None else max(0, min(100, int(face_degree)))
    pd = 30 if profile_degree is None else max(0, min(100, int(profile_degree)))
    if version == "redefine":
        fd = 50 if face_degree is None else fd
        pd = 50 if profile_degree is None else pd
    user_f = 1.0 - fd / 100.0
    user_p = 1.0 - pd / 100.0
    if version == "reinvent":
        return FaceParams(features=user_f, shape=user_p, texture=user_f, feather=0.05, pose_correct=1.0)
    return FaceParams(features=user_f, shape=user_p, texture=user_f, feather=0.09, pose_correct=0.0)


def _triangulate(points: np.ndarray, w: int, h: int) -> np.ndarray:
    subdiv = cv2.Subdiv2D((-1, -1, w + 2, h + 2))
    pts = np.clip(points, [-0.5, -0.5], [w + 0.5, h + 0.5])
    for x, y in pts:
        subdiv.insert((float(x), float(y)))
    tri = subdiv.getTriangleList().reshape(-1, 3, 2)
    # Map vertices back to the input indices (Subdiv2D returns coordinates, not indices).
    d = ((tri[:, :, None, :] - pts[None, None, :, :].astype(np.float32)) ** 2).sum(-1)
    idx = d.argmin(-1)
    ok = (
        (d.min(-1) < 1e-2).all(-1)
        & (idx[:, 0] != idx[:, 1])
        & (idx[:, 1] != idx[:, 2])
        & (idx[:, 0] != idx[:, 2])
    )
    return idx[ok]


def mesh_maps(
    dst: np.ndarray, src: np.ndarray, tris: np.ndarray, w: int, h: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Remap tables for a piecewise-affine warp: pixel (x, y) of the w x h output reads the source
    at (mapx, mapy). Pixels outside every triangle come back invalid."""
    ids = np.full((h, w), -1, dtype=np.int32)
    shift = 4
    mats = np.zeros((len(tris), 2, 3), dtype=np.float64)
    for k, (a, b, c) in enumerate(tris):
        d3 = dst[[a, b, c]].astype(np.float32)
        s3 = src[[a, b, c]].astype(np.float32)
        area = (d3[1, 0] - d3[0, 0]) * (d3[2, 1] - d3[0, 1]) - (d3[2, 0] - d3[0, 0]) * (d3[1, 1] - d3[0, 1])
        if abs(area) < 1e-3:
            continue
        mats[k] = cv2.getAffineTransform(d3, s3)
        cv2.fillConvexPoly(ids, np.round(d3 * (1 << shift)).astype(np.int32), int(k), cv2.LINE_8, shift)
    valid = ids >= 0
    ys, xs = np.nonzero(valid)
    m = mats[ids[valid]]
    mapx = np.full((h, w), -1.0, dtype=np.float32)
    mapy = np.full((h, w), -1.0, dtype=np.float32)
    mapx[valid] = m[:, 0, 0] * xs + m[:, 0, 1] * ys + m[:, 0, 2]
    mapy[valid] = m[:, 1, 0] * xs + m[:, 1, 1] * ys + m[:, 1, 2]
    return mapx, mapy, valid


def _ring(points: np.ndarray, centre: np.ndarray, factor: float) -> np.ndarray:
    return centre + (points - centre) * factor


def target_landmarks(
    t_lms: np.ndarray,
    s_lms: np.ndarray,
    params: FaceParams,
    *,
    t_pose: Pose | None = None,
    s_pose: Pose | None = None,
) -> np.ndarray:
    """Where the fused face's landmarks go in the template, in template pixels."""
    m = geo.similarity(s_lms[geo.STABLE], t_lms[geo.STABLE])
    s_al = geo.apply(m, s_lms)
    if params.pose_correct > 0 and t_pose is not None and s_pose is not None:
        # Take out what the user's head pose does to their 2-D shape (as seen on a generic 3-D
        # face) and put in what the template's pose does, so a side-facing selfie morphs into the
        # template's pose instead of carrying its own.
        p_s = geo.project_model(s_pose[0], s_pose[1], s_pose[3][0], s_pose[3][1], s_pose[2])
        p_t = geo.project_model(t_pose[0], t_pose[1], t_pose[3][0], t_pose[3][1], t_pose[2])
        p_s_al = geo.apply(geo.similarity(p_s[geo.STABLE], t_lms[geo.STABLE]), p_s)
        p_t_al = geo.apply(geo.similarity(p_t[geo.STABLE], t_lms[geo.STABLE]), p_t)
        # Where the poses differ a lot a frontal face pasted on a turned head looks wrong, so the
        # correction goes to full strength there; between similar poses it mostly costs identity.
        d_yaw = abs(geo.euler(s_pose[0])[0] - geo.euler(t_pose[0])[0])
        strength = max(params.pose_correct, float(np.clip((d_yaw - 12.0) / 20.0, 0.0, 1.0)))
        s_al = s_al - (p_s_al - p_t_al) * strength
    w = np.full(68, params.features)
    w[geo.JAW] = params.shape
    out = t_lms + (s_al - t_lms) * w[:, None]
    t_open, s_open = _mouth_open(t_lms), _mouth_open(s_lms)
    if t_open != s_open:
        # The mouth's opening is expression, which the template keeps: the template's mouth
        # shape moves to where the user's mouth sits, scaled toward its width only a little (a
        # wide smile's corners would blow a closed mouth up over the nose); an open template
        # mouth keeps its teeth, framed by the user's lips.
        t_c, s_c = t_lms[[48, 54]].mean(0), s_al[[48, 54]].mean(0)
        ratio = float(np.linalg.norm(s_al[54] - s_al[48]) / max(1e-6, np.linalg.norm(t_lms[54] - t_lms[48])))
        scale = 1.0 + (float(np.clip(ratio, 0.85, 1.15)) - 1.0) * params.features
        out[geo.MOUTH] = (t_lms[geo.MOUTH] - t_c) * scale + t_c + (s_c - t_c) * params.features
    # Keep the upper lip below the nose and the lower lip above the chin so no triangle folds.
    down = _unit(out[8] - out[27])
    gap = float(np.linalg.norm(out[8] - out[27])) * 0.03
    top = min(float((out[i] - out[33]) @ down) for i in (50, 51, 52))
    if top < gap:
        out[geo.MOUTH] += down * (gap - top)
    bottom = max(float((out[i] - out[8]) @ down) for i in (56, 57, 58))
    if bottom > -gap:
        out[geo.MOUTH] -= down * (bottom + gap)
    return out.astype(np.float64)


@dataclass
class FusedRegion:
    roi: tuple[int, int, int, int]  # x, y, w, h in the template; nothing outside it changes
    mask: np.ndarray  # float32 alpha of the user's texture within the ROI


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _forehead(pts: np.ndarray, k: float) -> np.ndarray:
    """Points above the brows, k of the brow-to-nose-tip distance higher."""
    brows = pts[geo.BROWS]
    up = brows.mean(0) - pts[8]
    up /= np.linalg.norm(up) or 1.0
    d = float(np.linalg.norm(brows.mean(0) - pts[30]))
    return brows[::-1] + up * d * k


def _pyramid_blend(fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray, levels: int) -> np.ndarray:
    """Laplacian-pyramid blend of fg over bg; where alpha and its blurred copies are 0 the result
    is bg exactly."""
    h, w = alpha.shape
    if levels <= 1 or min(h, w) < 32:
        return cv2.blendLinear(fg, bg, alpha, 1.0 - alpha)
    f = fg.astype(np.float32)
    b = bg.astype(np.float32)
    m = alpha
    gf, gb, gm = [f], [b], [m]
    for _ in range(levels - 1):
        gf.append(cv2.pyrDown(gf[-1]))
        gb.append(cv2.pyrDown(gb[-1]))
        gm.append(cv2.pyrDown(gm[-1]))
    out = gf[-1] * gm[-1][:, :, None] + gb[-1] * (1.0 - gm[-1][:, :, None])
    for i in range(levels - 2, -1, -1):
        size = (gf[i].shape[1], gf[i].shape[0])
        lf = gf[i] - cv2.pyrUp(gf[i + 1], dstsize=size)
        lb = gb[i] - cv2.pyrUp(gb[i + 1], dstsize=size)
        mi = gm[i][:, :, None]
        out = cv2.pyrUp(out, dstsize=size) + lf * mi + lb * (1.0 - mi)
    res = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    # Exactly the template where nothing of the user reaches (float rounding aside).
    reach = alpha > 0
    for g in gm[1:]:
        reach |= cv2.resize(g, (w, h), interpolation=cv2.INTER_LINEAR) > 0
    res[~reach] = bg[~reach]
    return res


def _forehead_clear(img: np.ndarray, pts: np.ndarray) -> bool:
    """Whether the skin above the brows is bare: a fringe of hair there varies far more in
    brightness than the cheeks do (measured: bare foreheads 0.4-0.8 of the cheeks' spread,
    the astronaut's fringe 2.2)."""
    h, w = img.shape[:2]
    band = np.vstack([_forehead(pts, 0.08)[::-1], _forehead(pts, 0.22)])
    cheeks = pts[[1, 28, 15, 14, 35, 33, 31, 2]]
    x0, y0 = np.floor(np.vstack([band, cheeks]).min(0)).astype(int)
    x1, y1 = np.ceil(np.vstack([band, cheeks]).max(0)).astype(int) + 1
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return False
    gray = cv2.cvtColor(img[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    off = np.array([x0, y0])
    m1 = np.zeros(gray.shape, np.uint8)
    m2 = np.zeros(gray.shape, np.uint8)
    cv2.fillPoly(m1, [np.round(band - off).astype(np.int32)], 255)
    cv2.fillPoly(m2, [np.round(cheeks - off).astype(np.int32)], 255)
    a, b = gray[m1 > 0], gray[m2 > 0]
    if len(a) < 8 or len(b) < 8:
        return False
    return float(a.std()) < 1.3 * float(b.std()) + 2.0


def _mouth_open(lms: np.ndarray) -> bool:
    """Lips apart by more than a tenth of the mouth's width."""
    gap = float(np.linalg.norm(lms[[61, 62, 63]] - lms[[67, 66, 65]], axis=1).mean())
    width = float(np.linalg.norm(lms[54] - lms[48])) or 1.0
    return gap / width > 0.1


def _coarse_maps(
    dst: np.ndarray, src: np.ndarray, w: int, h: int, step: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """mesh_maps computed on a grid `step` px apart and interpolated: the warp is piecewise
    linear, so the interpolation is exact inside triangles and costs step**2 times less."""
    if step <= 1:
        tris = _triangulate(dst, w, h)
        return mesh_maps(dst, src, tris, w, h)
    cw, ch = (w + step - 1) // step + 1, (h + step - 1) // step + 1
    d = dst / step
    tris = _triangulate(d, cw, ch)
    mx, my, valid = mesh_maps(d, src, tris, cw, ch)
    # Fill invalid grid nodes from their valid neighbours so interpolation near the edge of the
    # mesh does not pull toward -1.
    vf = valid.astype(np.float32)
    k = (3, 3)
    num_x = cv2.blur(mx * vf, k)
    num_y = cv2.blur(my * vf, k)
    den = cv2.blur(vf, k)
    fill = (~valid) & (den > 0)
    mx[fill] = num_x[fill] / den[fill]
    my[fill] = num_y[fill] / den[fill]
    # Grid node (i, j) sits at pixel (j * step, i * step): scale up with corner alignment.
    m = np.float32([[1.0 / step, 0, 0], [0, 1.0 / step, 0]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    full_x = cv2.warpAffine(mx, m, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    full_y = cv2.warpAffine(my, m, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    full_v = cv2.warpAffine(valid.astype(np.uint8) * 255, m, (w, h), flags=flags) > 127
    return full_x, full_y, full_v


def _down(img: np.ndarray, step: int) -> np.ndarray:
    if step <= 1:
        return img
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, w // step), max(1, h // step)), interpolation=cv2.INTER_AREA)


def _up(img: np.ndarray, w: int, h: int) -> np.ndarray:
    if img.shape[1] == w and img.shape[0] == h:
        return img
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), max(0.5, sigma))


def fuse_face(
    canvas: np.ndarray,
    t_lms: np.ndarray,
    src: np.ndarray,
    s_lms: np.ndarray,
    params: FaceParams,
    *,
    target: np.ndarray,
) -> FusedRegion:
    """Fuse the user's face (src, s_lms) into canvas at t_lms, in place; target is where the fused
    landmarks go (target_landmarks)."""
    H, W = canvas.shape[:2]
    allpts = np.vstack([t_lms, target])
    x0, y0 = allpts.min(0)
    x1, y1 = allpts.max(0)
    size = float(max(x1 - x0, y1 - y0, 8.0))
    margin = 0.2 * size
    rx0, ry0 = max(0, int(x0 - margin)), max(0, int(y0 - margin))
    rx1, ry1 = min(W, int(np.ceil(x1 + margin))), min(H, int(np.ceil(y1 + margin)))
    rw, rh = rx1 - rx0, ry1 - ry0
    off = np.array([rx0, ry0], dtype=np.float64)
    t_r = t_lms - off
    T_r = target - off
    roi = canvas[ry0:ry1, rx0:rx1]
    # Smooth quantities (warps, masks, shading) are computed on a grid this many px apart.
    step = max(2, int(size // 100))
    hull_i = _HULL_IDX
    t_c = t_r[geo.NOSE].mean(0)
    T_c = T_r[geo.NOSE].mean(0)

    # 1. Move the template's face outline to the fused shape. A fixed ring a little outside the
    # face keeps the deformation local, so the scene around the face stays as it was.
    base = roi
    if np.abs(T_r[hull_i] - t_r[hull_i]).max() > 0.5:
        fixed = _ring(t_r[hull_i], t_c, 1.45)
        border = np.array([[0, 0], [rw - 1, 0], [rw - 1, rh - 1], [0, rh - 1]], dtype=np.float64)
        dst_pts = np.vstack([T_r, fixed, border])
        src_pts = np.vstack([t_r, fixed, border])
        mx, my, valid = _coarse_maps(dst_pts, src_pts, rw, rh, step)
        gx, gy = np.meshgrid(np.arange(rw, dtype=np.float32), np.arange(rh, dtype=np.float32))
        mx = np.where(valid, mx, gx)
        my = np.where(valid, my, gy)
        base = cv2.remap(roi, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    # 2. Warp the user's face onto the fused landmarks (plus a ring outside the outline so the
    # feathered edge has user pixels under it). The user's face is first brought to about the
    # target's scale so the warp does not alias.
    s_size = float(np.ptp(s_lms, axis=0).max())
    scale = min(1.0, size / max(s_size, 1.0))
    sH, sW = src.shape[:2]
    sx0, sy0 = (s_lms.min(0) - 0.45 * s_size).astype(int)
    sx1, sy1 = np.ceil(s_lms.max(0) + 0.45 * s_size).astype(int)
    sx0, sy0, sx1, sy1 = max(0, sx0), max(0, sy0), min(sW, sx1), min(sH, sy1)
    s_crop = src[sy0:sy1, sx0:sx1]
    s_pts = (s_lms - np.array([sx0, sy0])) * scale
    if scale < 0.95:
        s_crop = cv2.resize(
            s_crop,
            (max(1, round(s_crop.shape[1] * scale)), max(1, round(s_crop.shape[0] * scale))),
            interpolation=cv2.INTER_AREA,
        )
    keep_teeth = _mouth_open(t_lms)
    close_mouth = _mouth_open(s_lms) and not keep_teeth
    if close_mouth:
        # Closing an open mouth would squeeze the user's teeth into a bright seam: paint the
        # opening over with the lips around it first; the template's own lip line is kept below.
        hole = np.zeros(s_crop.shape[:2], np.uint8)
        inner = s_pts[geo.INNER_MOUTH]
        outer = s_pts[[48, 50, 51, 52, 54, 56, 57, 58]]
        # Landmarks sit on the lip edge; teeth show a little beyond it.
        cv2.fillPoly(hole, [np.round(inner + 0.3 * (outer - inner)).astype(np.int32)], 255)
        r = max(1, int(0.01 * size))
        hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
        s_crop = cv2.inpaint(np.ascontiguousarray(s_crop), hole, 3, cv2.INPAINT_TELEA)
    s_c = s_pts[geo.NOSE].mean(0)
    # The 68-point outline often sits a little outside the face (on the background or the ear,
    # more so on a turned head): sample the user's outline slightly inside it.
    s_pts = s_pts.copy()
    s_pts[geo.JAW] = _ring(s_pts[geo.JAW], s_c, 0.94)
    # Skin above the brows goes over only where both foreheads are bare (no fringe of hair).
    fk = params.forehead
    if fk > 0 and not (_forehead_clear(s_crop, s_pts) and _forehead_clear(roi, t_r)):
        fk = 0.08
    T_fh, s_fh = _forehead(T_r, fk), _forehead(s_pts, fk)
    T_h = np.vstack([T_r[geo.JAW], T_fh])
    s_h = np.vstack([s_pts[geo.JAW], s_fh])
    dst_pts = np.vstack([T_r, T_fh, _ring(T_h, T_c, 1.25)])
    src_pts = np.vstack([s_pts, s_fh, _ring(s_h, s_c, 1.25)])
    mx, my, valid = _coarse_maps(dst_pts, src_pts, rw, rh, step)
    warped = cv2.remap(s_crop, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    # 3. Alpha: the fused outline, eroded then feathered.
    cw, ch = max(1, rw // step), max(1, rh // step)
    fsize = size / step
    cT = T_r / step
    mask = np.zeros((ch, cw), dtype=np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(T_h / step * 16).astype(np.int32)), 255, cv2.LINE_AA, 4)
    er = max(1, int(0.01 * fsize))
    core = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * er + 1, 2 * er + 1)))
    if keep_teeth:
        # The template's open mouth (teeth, tongue) stays; the user's lips frame it.
        cv2.fillPoly(core, [np.round(cT[geo.INNER_MOUTH] * 16).astype(np.int32)], 0, cv2.LINE_AA, 4)
    if close_mouth:
        line = np.round(cT[[60, 61, 62, 63, 64, 65, 66, 67]] * 16).astype(np.int32)
        cv2.polylines(core, [line], True, 0, max(1, int(0.012 * fsize)), cv2.LINE_AA, 4)
    alpha_c = _blur(core.astype(np.float32) / 255.0, params.feather * fsize)
    sel = cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (4 * er + 1, 4 * er + 1)))
    alpha = _up(alpha_c, rw, rh) * valid

    # 4. Colour and shading of the template: a smooth offset in LAB that takes the user's
    # blurred face onto the template's blurred face (blurs normalised by the blurred mask, so
    # neither background leaks in at the edge). Additive, so highlights do not blow out.
    inside = sel > 0
    sw = inside.astype(np.float32)
    if sw.sum() >= 16:
        wc = cv2.cvtColor(_down(warped, step)[:ch, :cw], cv2.COLOR_BGR2LAB).astype(np.float32)
        bc = cv2.cvtColor(_down(base, step)[:ch, :cw], cv2.COLOR_BGR2LAB).astype(np.float32)
        sigma = max(1.5, 0.12 * fsize)
        wgt = _blur(sw, sigma)[:, :, None] + 1e-4
        offset = (bc - wc) * sw[:, :, None]
        diff = _blur(offset, sigma) / wgt
        # Away from the face the normaliser has no data: fall back to the mean offset there.
        mean = offset.sum((0, 1)) / sw.sum()
        conf = np.clip(wgt / 0.3, 0, 1)
        diff = diff * conf + mean * (1 - conf)
        lab = cv2.cvtColor(warped, cv2.COLOR_BGR2LAB).astype(np.float32) + _up(diff, rw, rh)
        # Contrast and saturation around that mean follow the template's too (a grey or dim
        # template must not get the user's red lips or bright eye whites at full strength).
        ratio = (bc[inside].std(0) + 1.0) / (wc[inside].std(0) + 1.0)
        ratio = np.clip(ratio, [0.6, 0.0, 0.0], [1.3, 1.3, 1.3]).astype(np.float32)
        if np.abs(ratio - 1.0).max() > 0.03:
            # The template's mask-normalised local mean, falling back to its mean far from the mask.
            masked = bc * sw[:, :, None]
            local = _blur(masked, sigma) / wgt * conf + masked.sum((0, 1)) / sw.sum() * (1 - conf)
            local = _up(local, rw, rh)
            lab = local + (lab - local) * ratio
        warped = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)
    # Outside the face outline the user's picture (hair, ears, background) must not reach the
    # blend, not even its broad bands: put the template there.
    hm = (_up(cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (3, 3), 0), rw, rh) * valid).astype(
        np.float32
    )
    base = np.ascontiguousarray(base)
    warped = cv2.blendLinear(warped, base, hm, 1.0 - hm)

    # 5. Blend, band by band: fine detail switches over within the feathered edge while broad
    # shading crosses over a wider band, so no seam shows where the lighting differs.
    a = np.ascontiguousarray(alpha * float(params.texture), dtype=np.float32)
    levels = int(np.clip(round(np.log2(max(size, 1.0) / 24.0)), 1, 5))
    roi[:] = _pyramid_blend(warped, base, a, levels)
    return FusedRegion(roi=(rx0, ry0, rw, rh), mask=a)
