"""Per-face fusion on the dense mesh, in named steps (fuse_face runs them in order):

1. ``fused_mesh`` (shape.py): where the fused face's 468 points go in the template;
2. ``_region``: the pixels that may change, the face plus a ring around it;
3. ``warp_template``: the template's face region moved onto the fused shape (its own mouth
   interior, jaw line and surroundings follow; the scene beyond the ring stays as it was);
4. ``warp_user``: the user's face mapped onto the fused shape at full resolution;
5. ``face_alpha``: where the user's face shows: the fused face oval, feathered inward only
   (no user pixel outside their own face, so no smear at the jaw), minus the mouth opening,
   which always shows the template's interior (no teeth through lips either way);
6. ``match_tone``: colour and light of the template, as a smooth offset in LAB;
7. ``match_detail``: fine detail brought to what the inputs allow (the resampling's loss
   restored, never sharper than the template or the user's photo at this size), times the
   enhance knob; the template's mouth interior follows (``match_interior_detail``), and the
   template's grain is added where the user's photo has less (``add_grain``);
8. the knobs: skin smoothing, makeup, teeth;
9. ``composite``: the user's face over the warped template by the alpha.

Everything works inside the face's region, so the cost does not grow with the template's size.
The three versions share the steps and differ in how far the geometry and texture move toward
the user (docs/campaigns.md): ``faceswap`` the user's texture and inner features over the template's head;
``reinvent`` and ``redefine`` a morph set by FuseFaceDegree / FuseProfileDegree, redefine's
blend edge softer and wider.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fusion.engine import geometry as geo
from fusion.engine import meshdata as md
from fusion.engine.shape import fused_mesh, mouth_open
from fusion.engine.types import FuseOptions
from fusion.engine.warp import Layout

VERSIONS = ("faceswap", "reinvent", "redefine")

# The fixed ring around the face, as a multiple of the oval's radius: inside it the template
# follows the fused outline; outside it nothing moves.
_RING = 1.2
_USER_TRIS = np.vstack([md.TESSELATION, md.EYE_FILL])
_FACE_TRIS = np.vstack([md.TESSELATION, md.EYE_FILL, md.MOUTH_FILL])
_N = md.N_POINTS
# The skin the detail and tone statistics look at: the oval without the features' outlines.
_FEATURES = (md.LIPS_OUTER, md.RIGHT_EYE, md.LEFT_EYE)


@dataclass
class FaceParams:
    """How far each part moves toward the user (1.0 the user, 0.0 the template) and the knobs."""

    features: float  # inner features' geometry (eyes, brows, nose, mouth)
    shape: float  # the outline's geometry
    texture: float  # maximum alpha of the user's texture
    feather: float  # width of the blend edge inside the oval, as a fraction of the face's width
    enhance: float = 0.5
    smooth: float = 0.0
    teeth: bool = False
    makeup: bool = False


def params_for(
    version: str, face_degree: int | None, profile_degree: int | None, options: FuseOptions | None = None
) -> FaceParams:
    options = FuseOptions() if options is None else options
    if version == "faceswap":
        p = FaceParams(features=1.0, shape=0.8, texture=1.0, feather=0.07)
    else:
        fd = 30 if face_degree is None else max(0, min(100, int(face_degree)))
        pd = 30 if profile_degree is None else max(0, min(100, int(profile_degree)))
        if version == "redefine":
            fd = 50 if face_degree is None else fd
            pd = 50 if profile_degree is None else pd
        user_f, user_p = 1.0 - fd / 100.0, 1.0 - pd / 100.0
        feather = 0.1 if version == "reinvent" else 0.18
        p = FaceParams(features=user_f, shape=user_p, texture=user_f, feather=feather)
    if options.warp is not None:
        p.shape = float(np.clip(options.warp, 0.0, 1.0))
    p.enhance = float(np.clip(options.enhance, 0.0, 1.0))
    p.smooth = float(np.clip(options.smooth, 0.0, 1.0))
    p.teeth, p.makeup = bool(options.teeth), bool(options.makeup)
    return p


@dataclass
class FusedRegion:
    roi: tuple[int, int, int, int]  # x, y, w, h in the template; nothing outside it changes
    mask: np.ndarray  # float32 alpha of the user's texture within the ROI


def _poly_mask(shape: tuple[int, int], pts: np.ndarray) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts[:, :2] * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
    return m


def _face_masks(shape: tuple[int, int], mesh: np.ndarray, erode_px: float) -> tuple[np.ndarray, np.ndarray]:
    """The face oval eroded by erode_px (none under a pixel), as (skin, face): skin without the
    lips and eyes, face without only the mouth's opening. Both bool."""
    oval = _poly_mask(shape, mesh[md.FACE_OVAL])
    if erode_px >= 1:
        # Eroded by a distance threshold: one pass, whatever the radius (a large erode is slow).
        inside = cv2.distanceTransform((oval > 127).astype(np.uint8), cv2.DIST_L2, 3)
        oval = np.where(inside > erode_px, np.uint8(255), np.uint8(0))
    face = oval.copy()
    cv2.fillPoly(face, [np.round(mesh[md.LIPS_INNER, :2]).astype(np.int32)], 0)
    for loop in _FEATURES:
        cv2.fillPoly(oval, [np.round(mesh[loop, :2]).astype(np.int32)], 0)
    return oval > 127, face > 127


def _lum(bgr: np.ndarray) -> np.ndarray:
    """LAB lightness (OpenCV's 8-bit scale) as float32: the channel detail is measured and set in."""
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)[:, :, 0].astype(np.float32)


def _lap_var(lum: np.ndarray, mask: np.ndarray) -> float:
    lap = cv2.Laplacian(lum, cv2.CV_32F, ksize=1)
    v = lap[mask]
    return float(v.var()) if v.size > 16 else 0.0


def _region(
    t_mesh: np.ndarray, target: np.ndarray, width: int, height: int, ring_factor: float = _RING
) -> tuple[tuple[int, int, int, int], np.ndarray]:
    """The ROI (x, y, w, h) and the fixed ring's points (image pixels) around the face."""
    c = t_mesh[md.FACE_OVAL, :2].mean(0)
    t_r = t_mesh[md.FACE_OVAL, :2] - c
    p_r = target[md.FACE_OVAL, :2] - c
    k = ring_factor * np.maximum(1.0, np.linalg.norm(p_r, axis=1) / np.maximum(np.linalg.norm(t_r, axis=1), 1e-6))
    ring = c + t_r * k[:, None]
    pts = np.vstack([ring, t_mesh[:, :2], target[:, :2]])
    x0, y0 = np.floor(pts.min(0)).astype(int) - 2
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 3
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    return (int(x0), int(y0), int(x1 - x0), int(y1 - y0)), ring


def _ring_triangles() -> np.ndarray:
    n = len(md.FACE_OVAL)
    tris = []
    for i in range(n):
        a, b = md.FACE_OVAL[i], md.FACE_OVAL[(i + 1) % n]
        ra, rb = _N + i, _N + (i + 1) % n
        tris += [(a, b, rb), (a, rb, ra)]
    return np.array(tris, dtype=np.int32)


_RING_TRIS = _ring_triangles()
_ALL_TRIS = np.vstack([_FACE_TRIS, _RING_TRIS])
_USE_USER = np.zeros(len(_ALL_TRIS), bool)
_USE_USER[: len(_USER_TRIS)] = True


_BROWS = set(md.RIGHT_BROW + md.LEFT_BROW)
_LIP_TRIS = np.isin(_USER_TRIS, md.LIPS).any(1)


def _zones(mesh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per user triangle: (edge, cheek). Edge: the outermost band inside the outline (two rings of
    the mesh), where either photo may show something other than skin (hair, an ear, the background
    beyond a turned cheek), and the forehead above the brows, where a fringe may hang. Cheek: skin
    between the eyes and the mouth, away from the nose and the outline (a face's skin colour)."""
    axes = geo.head_axes(mesh)
    rel = (mesh - mesh[[33, 263]].mean(0)) @ axes  # head frame, origin between the eye corners
    down = rel[:, 1]
    mouth = float(down[list(md.MOUTH_CORNERS)].mean()) or 1.0
    brow = float(down[sorted(_BROWS)].mean())
    ring = md.RINGS_FROM_OVAL
    hair_v = (down < brow) | (ring <= 1)
    hair_v[sorted(_BROWS)] = True  # the brows' own hairs are cut out of the zone by face_alpha
    cheek_v = (down > 0.15 * mouth) & (down < 0.85 * mouth) & (ring >= 2) & (ring <= 5)
    return hair_v[_USER_TRIS].all(1), cheek_v[_USER_TRIS].all(1)


def _tri_map(layout: Layout, values: np.ndarray) -> np.ndarray:
    """A per-pixel map of a per-user-triangle value (0 where no user triangle is)."""
    pad = np.zeros(len(_ALL_TRIS) - len(_USER_TRIS) + 1, np.float32)
    v = np.concatenate([np.asarray(values, dtype=np.float32), pad])
    return v[np.where(layout.ids >= 0, layout.ids, len(v) - 1)]


def _skin_probability(lab: np.ndarray, sample: np.ndarray, where: np.ndarray) -> np.ndarray:
    """How much each pixel of `where` looks like the skin in `sample`: its distance in LAB from
    the sample's median in units of the sample's robust spread (MAD, floored so flat lighting does
    not make every shadow foreign), 1 up to 2.5 and 0 from 4.5."""
    out = np.ones(lab.shape[:2], np.float32)
    px = lab[sample]
    if len(px) < 32 or not where.any():
        return out
    med = np.median(px, axis=0)
    spread = np.maximum(1.4826 * np.median(np.abs(px - med), axis=0), np.array([6.0, 3.0, 3.0], dtype=np.float32))
    z = (lab[where] - med) / spread
    dist = np.sqrt((z * z).sum(1))
    out[where] = np.clip(1.0 - (dist - 2.5) / 2.0, 0.0, 1.0)
    return out


def source_visibility(pts: np.ndarray, target: np.ndarray, w: int, h: int) -> np.ndarray:
    """Per user triangle, how well the photo shows it (0-1) for where it goes: 0 where a nearer
    part (the nose of a turned head) hides it, and, in the band along the outline, where the photo
    shows it under 0.3 times the size it takes in the fused face (the far side of a turned head,
    stretched into a smear; full from 0.6). Inner parts stay however turned: the template's own
    nose or eye under a turned user's would show twice."""
    tri = pts[_USER_TRIS]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    src_area = -n[:, 2] / 2.0  # front-facing triangles have a negative normal z
    t = target[_USER_TRIS]
    d1, d2 = t[:, 1] - t[:, 0], t[:, 2] - t[:, 0]
    tgt_area = np.abs(d1[:, 0] * d2[:, 1] - d2[:, 0] * d1[:, 1]) / 2.0
    scale = float(np.abs(src_area).sum() / max(tgt_area.sum(), 1e-6))
    stretch = np.clip((src_area / np.maximum(tgt_area * scale, 1e-6) - 0.3) / 0.3, 0.0, 1.0)
    outline = np.clip((4.0 - md.RINGS_FROM_OVAL[_USER_TRIS].min(1)) / 2.0, 0.0, 1.0)
    layout = Layout(pts[:, :2], _USER_TRIS, pts[:, 2], w, h)
    counts = np.bincount(layout.ids[layout.ids >= 0], minlength=len(_USER_TRIS)).astype(np.float64)
    seen = np.where(src_area >= 20.0, np.clip(counts / np.maximum(src_area, 1.0), 0.0, 1.0), 1.0)
    # The lips overlap each other where the mesh misreads an open mouth; no other part hides them.
    seen = np.where(_LIP_TRIS, 1.0, np.clip((seen - 0.3) / 0.4, 0.0, 1.0))
    return ((1.0 - outline * (1.0 - stretch)) * seen).astype(np.float32)


def warp_template(roi: np.ndarray, layout: Layout, t_local: np.ndarray, ring_local: np.ndarray) -> np.ndarray:
    """The template's ROI with its face (and the ring around it) moved onto the fused shape."""
    src = np.vstack([t_local[:, :2], ring_local])
    if np.abs(src - layout.dst).max() < 0.25:
        return roi.copy()
    mapx, mapy, valid = layout.maps(src)
    gy, gx = np.mgrid[0 : layout.h, 0 : layout.w].astype(np.float32)
    mapx = np.where(valid, mapx, gx)
    mapy = np.where(valid, mapy, gy)
    return cv2.remap(roi, mapx, mapy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


@dataclass
class UserFace:
    pixels: np.ndarray  # BGR, ROI-sized: the user's face on the fused shape
    valid: np.ndarray  # bool: pixels the user's face covers
    detail: float  # Laplacian variance of the user's face at the template's scale
    visibility: np.ndarray  # per user triangle: how well the photo shows it (source_visibility)


def _shut_mouth(crop: np.ndarray, pts: np.ndarray, face_w: float) -> np.ndarray:
    """The user's mouth opening painted over from the lips around it. The fused mouth shows the
    template's interior, never the user's; but the mesh's inner lip line often sits on the teeth
    rather than on the lip's edge, so the lip triangles would carry teeth into the fused lips."""
    inner, outer = pts[md.LIPS_INNER], pts[md.LIPS_OUTER]
    hole_pts = inner + 0.3 * (outer - inner)
    x0, y0 = np.floor(outer.min(0)).astype(int) - 4
    x1, y1 = np.ceil(outer.max(0)).astype(int) + 5
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(crop.shape[1], x1), min(crop.shape[0], y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return crop
    hole = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(hole, [np.round(hole_pts - (x0, y0)).astype(np.int32)], 255)
    r = max(1, round(0.01 * face_w))
    hole = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    out = crop.copy()
    out[y0:y1, x0:x1] = cv2.inpaint(np.ascontiguousarray(crop[y0:y1, x0:x1]), hole, 3, cv2.INPAINT_TELEA)
    return out


def warp_user(src: np.ndarray, s_mesh: np.ndarray, layout: Layout, target_width: float) -> UserFace:
    """The user's face mapped onto the fused shape. The photo is first brought to the target's
    scale when it is much larger (by area, so nothing aliases); the warp itself samples every
    pixel bicubically."""
    sH, sW = src.shape[:2]
    s_w = float(np.ptp(s_mesh[md.FACE_OVAL, 0])) or 1.0
    scale = target_width / s_w
    lo = s_mesh[:, :2].min(0) - 0.1 * s_w
    hi = s_mesh[:, :2].max(0) + 0.1 * s_w
    x0, y0 = max(0, int(lo[0])), max(0, int(lo[1]))
    x1, y1 = min(sW, int(np.ceil(hi[0])) + 1), min(sH, int(np.ceil(hi[1])) + 1)
    crop = src[y0:y1, x0:x1]
    pts = s_mesh[:, :2] - (x0, y0)
    if mouth_open(s_mesh):
        crop = _shut_mouth(crop, pts, s_w)
    at_scale = crop
    if scale < 0.999:
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        at_scale = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    elif scale > 1.001:
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        at_scale = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
    k = np.array([at_scale.shape[1] / crop.shape[1], at_scale.shape[0] / crop.shape[0]])
    pts_scaled = (pts + 0.5) * k - 0.5
    detail = _lap_var(_lum(at_scale), _face_masks(at_scale.shape[:2], pts_scaled, 0.06 * target_width)[1])
    # Sample the scaled copy only when it is smaller (an upscaled copy would add nothing).
    sample, sample_pts = (at_scale, pts_scaled) if scale < 0.8 else (crop, pts)
    src_pts = np.vstack([sample_pts, np.zeros((len(layout.dst) - _N, 2))])
    mapx, mapy, valid = layout.maps(src_pts, use=_USE_USER)
    pixels = cv2.remap(sample, mapx, mapy, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    # Hairline gaps between triangles that meet edge to edge (the lips of a mouth the fusion
    # shuts meet on one line) take the mean of their covered neighbours.
    v8 = valid.astype(np.uint8)
    gaps = (cv2.morphologyEx(v8, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)) > 0) & ~valid
    if gaps.any():
        num = cv2.blur(pixels.astype(np.float32) * v8[:, :, None], (3, 3))
        den = np.maximum(cv2.blur(v8.astype(np.float32), (3, 3)), 1e-6)[:, :, None]
        pixels[gaps] = np.clip(num / den + 0.5, 0, 255).astype(np.uint8)[gaps]
        valid = valid | gaps
    k_s = sample.shape[1] / crop.shape[1]
    xyz = np.column_stack([sample_pts, s_mesh[:, 2] * k_s])
    vis = source_visibility(xyz, layout.dst[:_N], sample.shape[1], sample.shape[0])
    return UserFace(pixels=pixels, valid=valid, detail=detail, visibility=vis)


def _closed(mask: np.ndarray, radius: float) -> np.ndarray:
    """mask with the gaps and holes narrower than 2 * radius filled (a morphological closing by a
    disc, done with two distance transforms: the cost does not grow with the radius)."""
    grown = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3) <= radius
    return cv2.distanceTransform(grown.astype(np.uint8), cv2.DIST_L2, 3) > radius


def inner_distance(face: np.ndarray) -> np.ndarray:
    """Each pixel's distance inside the fused face (0 outside it), float32. The face is what its
    triangles cover, not the oval's polygon: on a turned head the oval's far side runs behind the
    cheek, and the face's edge there is the nose's and the cheek's profile."""
    return cv2.distanceTransform(face.astype(np.uint8), cv2.DIST_L2, 5)


def face_alpha(
    layout: Layout,
    target: np.ndarray,
    t_mesh: np.ndarray,
    user: UserFace,
    base_lab: np.ndarray,
    user_lab: np.ndarray,
    dist: np.ndarray,
    feather_px: float,
) -> np.ndarray:
    """Where the user's face shows (float32 0-1): 1 inside the fused face, falling to 0 at its edge
    over feather_px; 0 in the mouth opening (the template's interior shows there); 0 where the
    photo does not show that part of the face (turned away or hidden); and 0 near the outline and
    on the forehead wherever either face shows something other than its skin there."""
    shape = (layout.h, layout.w)
    t = np.clip(dist / max(feather_px, 1.0), 0.0, 1.0)
    alpha = t * t * (3.0 - 2.0 * t)
    width = float(np.ptp(target[md.FACE_OVAL, 0])) or 1.0
    if mouth_open(target):
        hole = _poly_mask(shape, target[md.LIPS_INNER]).astype(np.float32) / 255.0
    else:
        # A shut mouth shows the template's own line between the lips: crisp, and where the
        # template's shading expects it (the user's lips, shut by the warp, only blur there).
        line = np.zeros(shape, np.uint8)
        pts = np.round(target[md.LIPS_INNER_UPPER, :2] * 16).astype(np.int32)
        cv2.polylines(line, [pts], False, 255, max(1, round(0.012 * width)), cv2.LINE_AA, 4)
        hole = line.astype(np.float32) / 255.0
    hair_t, cheek_t = _zones(t_mesh)
    hair = _tri_map(layout, hair_t) > 0.5
    # The brows are hair that belongs to the face: out of the zone, with a margin (the mesh's
    # brow line runs along the brow's middle, its hairs reach past it).
    brows = np.zeros(shape, np.uint8)
    for brow in (md.RIGHT_BROW, md.LEFT_BROW):
        brows |= _poly_mask(shape, target[brow[:5] + brow[:4:-1]])
    r = max(1, round(0.03 * float(np.ptp(target[md.FACE_OVAL, 0]))))
    hair &= ~(cv2.dilate(brows, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) > 127)
    cheek = _tri_map(layout, cheek_t) > 0.5
    skin = _skin_probability(user_lab, cheek & user.valid, hair) * _skin_probability(base_lab, cheek, hair)
    keep = _tri_map(layout, user.visibility) * skin
    keep = cv2.GaussianBlur(keep, (0, 0), max(0.5, 0.015 * width))
    return (alpha * (1.0 - hole) * keep * user.valid).astype(np.float32)


def _shrink(img: np.ndarray, step: int) -> np.ndarray:
    """Mean over step x step blocks (the edge rows and columns that do not fill a block dropped):
    OpenCV's fast integer-factor area resize."""
    h, w = (img.shape[0] // step) * step, (img.shape[1] // step) * step
    return cv2.resize(img[:h, :w], (w // step, h // step), interpolation=cv2.INTER_AREA)


def _grow(img: np.ndarray, step: int, w: int, h: int) -> np.ndarray:
    """_shrink's grid brought back to w x h (linear between block centres, edges repeated)."""
    big = cv2.resize(img, (img.shape[1] * step, img.shape[0] * step), interpolation=cv2.INTER_LINEAR)
    return cv2.copyMakeBorder(big, 0, h - big.shape[0], 0, w - big.shape[1], cv2.BORDER_REPLICATE)


def match_tone(
    f_lab: np.ndarray,
    b_lab: np.ndarray,
    skin: np.ndarray,
    dist: np.ndarray,
    face_width: float,
    eyes: np.ndarray | None = None,
) -> np.ndarray:
    """The user's face with the template's colour and light: a smooth LAB offset that takes the
    user's local mean onto the template's (both measured on skin under the fused shape, so neither
    background leaks in), and the template's contrast around it. The local mean is taken over
    three tenths of the face's width inside (the template's light, not its features' shading)
    and over a twentieth within a tenth of the seam (`dist`: distance to where the user's face
    gives way), where the two skins must meet without one. Float32 LAB.

    The means are smooth, so they are computed on a grid a few pixels apart; only the final
    offset is brought back to full size. In the eyes (a soft mask) the colour cast stays off: the
    skin's shift in hue would tint the whites and the irises."""
    if int(skin.sum()) < 16:
        return f_lab
    # Contrast and saturation around the local mean follow the template's (a grey or dim
    # template must not get the user's red lips or bright eye whites at full strength).
    # (Statistics over every other pixel: the same to a fraction of a level, a quarter the work.)
    sub = skin[::2, ::2] if skin[::2, ::2].sum() >= 16 else skin
    f_px = (f_lab[::2, ::2] if sub is not skin else f_lab)[sub]
    b_px = (b_lab[::2, ::2] if sub is not skin else b_lab)[sub]
    ratio = (b_px.std(0) + 1.0) / (f_px.std(0) + 1.0)
    ratio = np.clip(ratio, [0.6, 0.0, 0.0], [1.3, 1.3, 1.3]).astype(np.float32)
    f_mean, b_mean = f_px.mean(0), b_px.mean(0)
    h, w = skin.shape
    step = max(1, min(int(0.05 * face_width / 3.0), h, w))
    wgt = _shrink(skin.astype(np.float32), step)
    f_s = _shrink(f_lab * skin[:, :, None], step)
    b_s = _shrink(b_lab * skin[:, :, None], step)
    near_edge = np.clip(1.0 - _shrink(dist, step) / (0.1 * face_width), 0, 1)
    offset = np.zeros(f_s.shape, np.float32)
    for share, sigma in ((near_edge, 0.05 * face_width), (1.0 - near_edge, 0.3 * face_width)):
        sg = max(0.5, sigma / step)
        den = cv2.GaussianBlur(wgt, (0, 0), sg)
        conf = np.clip(den / 0.3, 0.0, 1.0)[:, :, None]
        safe = np.maximum(den, 1e-4)[:, :, None]
        f_local = cv2.GaussianBlur(f_s, (0, 0), sg) / safe * conf + f_mean * (1.0 - conf)
        b_local = cv2.GaussianBlur(b_s, (0, 0), sg) / safe * conf + b_mean * (1.0 - conf)
        offset += share[:, :, None] * (b_local - f_local * ratio)
    out = f_lab * ratio + _grow(offset, step, w, h)
    if eyes is not None:
        ys, xs = np.nonzero(eyes > 0.01)
        if ys.size:
            box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
            neutral = 128.0 + (f_lab[box][:, :, 1:] - 128.0) * ratio[1:]
            out[box][:, :, 1:] += (neutral - out[box][:, :, 1:]) * eyes[box][:, :, None]
    return out


def match_detail(lab: np.ndarray, skin: np.ndarray, target_var: float) -> np.ndarray:
    """Fine detail (the band under ~1 px) scaled so the Laplacian variance over `skin` (the face
    with its features) reaches target_var: the resampling's softening undone, or a face crisper
    than the inputs allow softened."""
    lum = lab[:, :, 0]
    fine = lum - cv2.GaussianBlur(lum, (0, 0), 1.0)
    lap = cv2.Laplacian(lum, cv2.CV_32F, ksize=1)[skin]
    lap_f = cv2.Laplacian(fine, cv2.CV_32F, ksize=1)[skin]
    if lap.size < 16 or target_var <= 0:
        return lab
    a = float(lap.var())
    b = float(lap_f.var()) or 1e-6
    c = float(((lap - lap.mean()) * (lap_f - lap_f.mean())).mean())
    disc = c * c - b * (a - target_var)
    x = (-c + np.sqrt(disc)) / b if disc >= 0 else -c / b
    gain = float(np.clip(1.0 + x, 0.0, 3.0))
    out = lab.copy()
    out[:, :, 0] = lum + (gain - 1.0) * fine
    return out


def noise_level(lum: np.ndarray, mask: np.ndarray) -> float:
    """The grain's strength over mask: Donoho's estimate, the median absolute diagonal (HH) Haar
    coefficient over 0.6745, which answers to noise and hardly to edges or skin texture."""
    h, w = (lum.shape[0] // 2) * 2, (lum.shape[1] // 2) * 2
    q = lum[:h, :w]
    hh = (q[0::2, 0::2] - q[0::2, 1::2] - q[1::2, 0::2] + q[1::2, 1::2]) / 2.0
    v = hh[mask[:h:2, :w:2]]
    return float(np.median(np.abs(v)) / 0.6745) if v.size > 32 else 0.0


def grain_spread(face_noise: float, template_noise: float, detail: float) -> float:
    """How much grain (white luminance noise, this spread) the face lacks against the template:
    the missing noise, but never more than a third of the face's detail (white noise of spread
    s has a Laplacian variance of 20 s^2), or a soft face would read as a noisy one."""
    missing = float(np.sqrt(max(0.0, template_noise**2 - face_noise**2)))
    return min(missing, float(np.sqrt(max(detail, 0.0) / 3.0 / 20.0)))


def add_grain(lab: np.ndarray, where: np.ndarray, spread: float) -> np.ndarray:
    """White luminance noise of `spread` over `where`: the template's grain on a face that has
    less of it (a small or soft photo brought up to a larger, grainier template). Seeded by the
    region's size, so a fuse is reproducible."""
    if spread < 0.25:
        return lab
    ys, xs = np.nonzero(where)
    if ys.size == 0:
        return lab
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    rng = np.random.default_rng(lab.shape[0] * 7919 + lab.shape[1])
    out = lab.copy()
    noise = rng.standard_normal((y1 - y0, x1 - x0)).astype(np.float32)
    out[y0:y1, x0:x1, 0] += noise * (spread * where[y0:y1, x0:x1])
    return out


def match_interior_detail(base: np.ndarray, target: np.ndarray, gain: float) -> np.ndarray:
    """The template's mouth interior (its teeth) with its fine detail scaled by `gain`, the factor
    that takes the template's skin to the fused face's crispness: crisp teeth in a softer face
    would look pasted in."""
    gain = float(np.clip(gain, 0.3, 1.6))
    pts = target[md.LIPS_INNER, :2]
    x0, y0 = np.floor(pts.min(0)).astype(int) - 3
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 4
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(base.shape[1], x1), min(base.shape[0], y1)
    if abs(gain - 1.0) < 0.02 or x1 - x0 < 4 or y1 - y0 < 4:
        return base
    region = base[y0:y1, x0:x1].astype(np.float32)
    hole = _poly_mask(region.shape[:2], pts - (x0, y0)).astype(np.float32) / 255.0
    fine = region - cv2.GaussianBlur(region, (0, 0), 1.0)
    out = base.copy()
    out[y0:y1, x0:x1] = np.clip(region + (gain - 1.0) * fine * hole[:, :, None] + 0.5, 0, 255).astype(np.uint8)
    return out


def _soft(mask: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), max(0.5, sigma))


def smooth_skin(lab: np.ndarray, skin: np.ndarray, amount: float, face_width: float) -> np.ndarray:
    """Edge-preserving smoothing of the skin (not the eyes, brows or lips) by `amount` (0-1)."""
    if amount <= 0:
        return lab
    bgr = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)
    d = max(3, int(0.02 * face_width) | 1)
    flat = cv2.cvtColor(cv2.bilateralFilter(bgr, d, 24.0, d / 2.0), cv2.COLOR_BGR2LAB).astype(np.float32)
    m = (_soft(skin, 0.01 * face_width) * amount)[:, :, None]
    return lab + (flat - lab) * m


def transfer_makeup(lab: np.ndarray, base_lab: np.ndarray, target: np.ndarray, face_width: float) -> np.ndarray:
    """The template's lip colour and eye-shadow colour on the fused lips and upper eyelids: each
    region's mean colour moved onto the template's (a and b fully, lightness half)."""
    shape = lab.shape[:2]
    out = lab.copy()
    lips = (_poly_mask(shape, target[md.LIPS_OUTER]) > 127) & ~(_poly_mask(shape, target[md.LIPS_INNER]) > 127)
    lids = np.zeros(shape, bool)
    for upper, brow in ((md.RIGHT_EYE_UPPER, md.RIGHT_BROW[5:]), (md.LEFT_EYE_UPPER, md.LEFT_BROW[5:])):
        brow_pts = target[brow, :2]
        brow_pts = brow_pts[np.argsort(brow_pts[:, 0])]
        loop = np.vstack([target[upper, :2][np.argsort(target[upper, 0])], brow_pts[::-1]])
        lids |= _poly_mask(shape, loop) > 127
    for region, weights in ((lips, (0.5, 1.0, 1.0)), (lids, (0.3, 1.0, 1.0))):
        if region.sum() < 8:
            continue
        shift = (base_lab[region].mean(0) - lab[region].mean(0)) * np.array(weights, dtype=np.float32)
        out += _soft(region, 0.01 * face_width)[:, :, None] * shift
    return out


def whiten_teeth(base: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Teeth in the mouth opening brighter and less yellow: the pixels there lighter than the
    opening's median (teeth, not the dark mouth or the tongue) lifted in L and pulled to neutral."""
    shape = base.shape[:2]
    hole = _poly_mask(shape, target[md.LIPS_INNER]) > 127
    if hole.sum() < 8:
        return base
    lab = cv2.cvtColor(base, cv2.COLOR_BGR2LAB).astype(np.float32)
    lum = lab[:, :, 0]
    ref = float(np.median(lum[hole]))
    teeth = hole & (lum > ref) & (np.abs(lab[:, :, 1] - 128) < 20)
    m = _soft(teeth, 1.0) * hole
    lab[:, :, 0] = lum + m * 0.35 * (255.0 - lum) * (lum > ref)
    lab[:, :, 1] = lab[:, :, 1] - m * 0.6 * (lab[:, :, 1] - 128.0)
    lab[:, :, 2] = lab[:, :, 2] - m * 0.6 * (lab[:, :, 2] - 128.0)
    return cv2.cvtColor(np.clip(lab + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def _soft_highlights(lum: np.ndarray, lab: np.ndarray, knee: float = 235.0) -> np.ndarray:
    """lab with its lightness rolled off above `knee` instead of clipped: a highlight the tone
    match lifted past white keeps its shape rather than becoming a flat white patch."""
    out = lab.copy()
    over = np.maximum(lum - knee, 0.0)
    out[:, :, 0] = np.minimum(lum, knee) + (255.0 - knee) * np.tanh(over / (255.0 - knee))
    return out


def composite(face: np.ndarray, base: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha[:, :, None]
    return np.clip(face.astype(np.float32) * a + base.astype(np.float32) * (1.0 - a) + 0.5, 0, 255).astype(np.uint8)


def fuse_face(
    canvas: np.ndarray, t_mesh: np.ndarray, src: np.ndarray, s_mesh: np.ndarray, params: FaceParams
) -> FusedRegion:
    """Fuse the user's face (src, s_mesh) into canvas at the template face t_mesh, in place."""
    H, W = canvas.shape[:2]
    target = fused_mesh(t_mesh, s_mesh, features=params.features, shape=params.shape)
    (rx, ry, rw, rh), ring = _region(t_mesh, target, W, H)
    off = np.array([rx, ry, 0.0])
    t_local, p_local = t_mesh - off, target - off
    ring_local = ring - off[:2]
    roi = canvas[ry : ry + rh, rx : rx + rw]
    far = float(p_local[:, 2].max()) + 1.0
    layout = Layout(
        np.vstack([p_local[:, :2], ring_local]),
        _ALL_TRIS,
        np.concatenate([p_local[:, 2], np.full(len(ring_local), far)]),
        rw,
        rh,
    )
    width = float(np.ptp(p_local[md.FACE_OVAL, 0])) or 1.0
    shape = (rh, rw)

    base = warp_template(roi, layout, t_local, ring_local)
    user = warp_user(src, s_mesh, layout, width)
    base_lab = cv2.cvtColor(base, cv2.COLOR_BGR2LAB).astype(np.float32)
    user_lab = cv2.cvtColor(user.pixels, cv2.COLOR_BGR2LAB).astype(np.float32)
    dist = inner_distance(user.valid)
    alpha = face_alpha(layout, p_local, t_local, user, base_lab, user_lab, dist, params.feather * width)
    shown = alpha > 0.5
    p_skin, p_face = _face_masks(shape, p_local, 0.06 * width)
    t_skin, t_face = _face_masks(shape, t_local, 0.06 * width)
    skin = p_skin & shown

    eyes = _soft((_poly_mask(shape, p_local[md.RIGHT_EYE]) | _poly_mask(shape, p_local[md.LEFT_EYE])) > 127,
                 0.01 * width)
    # The seam runs wherever the user's face gives way to the template's skin: the outline and
    # the cut-outs inside it (hair, what the photo does not show), not the mouth's opening.
    solid = _closed(shown | (_poly_mask(shape, p_local[md.LIPS_INNER]) > 127), 0.04 * width)
    seam_dist = inner_distance(solid)
    lab = match_tone(user_lab, base_lab, _face_masks(shape, p_local, 0)[0] & shown, seam_dist, width, eyes)
    t_lum = _lum(roi)
    t_detail = _lap_var(t_lum, t_face)
    amp = 1.6 ** (2.0 * (params.enhance - 0.5))
    target_detail = min(t_detail, user.detail) * amp * amp
    # Part of that detail may be the template's grain, where the user's face has less of it.
    grain = grain_spread(noise_level(lab[:, :, 0], skin), noise_level(t_lum, t_skin), target_detail)
    lab = match_detail(lab, p_face & shown, target_detail - 20.0 * grain * grain)
    lab = add_grain(lab, skin, grain)
    base = match_interior_detail(base, p_local, float(np.sqrt(target_detail / max(t_detail, 1e-6))))
    lab = smooth_skin(lab, skin, params.smooth, width)
    if params.makeup:
        lab = transfer_makeup(lab, base_lab, p_local, width)
    if params.teeth:
        base = whiten_teeth(base, p_local)
    face = cv2.cvtColor(np.clip(_soft_highlights(lab[:, :, 0], lab) + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)

    a = (alpha * float(params.texture)).astype(np.float32)
    roi[:] = composite(face, base, a)
    return FusedRegion(roi=(rx, ry, rw, rh), mask=a)
