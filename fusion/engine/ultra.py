"""FuseFaceUltra (图片人脸融合专业版): a template that comes with the call, up to 8000 px a side,
fused in its faces' regions only.

A FuseFace template is analysed once at review and kept small (1080 px); an Ultra template is new on
every call and may be 64 megapixels. So the work is split by what it needs to see:

1. ``open_template``: the header is read first (size limits refused before any pixel is decoded),
   then the pixels are decoded once, by OpenCV straight into the one BGR (or BGRA) buffer that the
   result is drawn into and encoded from. No other full-size copy is made: no RGB or grey copy, no
   "canvas" copy, no alpha stacked on for encoding.
2. ``find_faces``: detection runs on one downscaled copy of at most ``DETECT_MAX_PIXELS`` (HOG's own
   budget); each face's mesh is fitted on the full-resolution pixels around it and its embedding on
   a crop around it. A ``TemplateFaceRect`` is searched at full resolution in a crop around the rect,
   so a face too small to be seen on the downscaled copy can still be pointed at.
3. ``fuse``: each face is fused on a copy of its own region (the face and the ring the engine may
   move around it), which is then pasted back; labels are drawn in their corner.
4. The result is encoded once, in the template's format, with the implicit label.

What grows with the whole image is what cannot be avoided: decoding, one area-average downscale for
detection, and encoding. Peak memory is the decoded buffer (3 bytes a pixel, 4 with transparency)
plus the encoded input and output; ``python -m bench.ultra`` measures it.

``SwapModelType`` 1-6 and ``FusionUltraParam`` map onto the engine's one fusion (fuse.fuse_face)
through ``ultra_params``: each model type is a preset of the face's outline, texture edge, detail and
smoothing, and the knobs move within it. See ``MODEL_TYPES``.
"""

from __future__ import annotations

import io
import time
import warnings
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from fusion.engine import labels
from fusion.engine import meshdata as md
from fusion.engine.engine import MAX_MAPPINGS, MIN_FACE_SIDE, MIN_PRESENCE, Engine
from fusion.engine.errors import (
    FaceRectInvalid,
    FaceSizeTooSmall,
    ImageDecodeFailed,
    ImagePixelExceed,
    ImageResolutionExceed,
    ImageResolutionTooSmall,
    ImageSizeExceed,
    InvalidParameter,
    NoFaceDetected,
    TemplateFaceIDNotExist,
    TooManyFaces,
)
from fusion.engine.facestack import Detection, _iou
from fusion.engine.fuse import FaceParams, fuse_face, params_for
from fusion.engine.imageio import sniff_format
from fusion.engine.types import DecodedImage, FuseOptions, Label, Rect

MAX_SIDE = 8000
MIN_SIDE = 64
MAX_PIXELS = MAX_SIDE * MAX_SIDE
# Detection looks at one downscaled copy of at most this many pixels (dlib's HOG pass budget): on
# a template this size or smaller it sees every pixel; above it, faces smaller than about
# 80 px × sqrt(pixels / DETECT_MAX_PIXELS) are found only where TemplateFaceRect points.
DETECT_MAX_PIXELS = 6_000_000
# The region copied around a face for fusion, as a multiple of its oval's half extent from its
# centre: the engine's ring reaches 1.3 times the oval (more where the outline moves outward).
REGION_SCALE = 2.2
# A TemplateFaceRect is searched in a crop this many times its size, at most this many pixels.
RECT_SEARCH_SCALE = 2.0
RECT_SEARCH_MAX_PIXELS = 2_000_000


# --- model types and knobs ----------------------------------------------------------------------

@dataclass(frozen=True)
class ModelType:
    """A SwapModelType as a preset of the engine's fusion. Each takes the user's inner features and
    texture (the engine's faceswap) and differs in how far the outline follows the user, how wide and
    soft the texture's edge is, how much detail is brought out and how much skin smoothing MpRadio
    gives at most."""

    number: int
    name_zh: str
    name_en: str
    feather: float  # blend edge inside the oval, as a fraction of the face's width
    enhance_base: float  # the engine's enhance at EnhanceRadio 0 ...
    enhance_gain: float  # ... rising by this much at EnhanceRadio 1
    warp_base: float  # the outline's share toward the user at WarpRadio 0 ...
    warp_gain: float  # ... rising by this much at WarpRadio 1
    smooth_max: float  # skin smoothing at MpRadio 1
    work_width: int  # a larger face is fused at this width and its result brought back up (see _fuse_region)
    knobs: bool = True  # FusionUltraParam applies (types 1-5, as on the cloud)


MODEL_TYPES: dict[int, ModelType] = {m.number: m for m in (
    # Entertainment: crisper than the inputs (enhance 0.625 at the default), a tight edge.
    ModelType(1, "泛娱乐，画面偏锐", "entertainment, sharper", feather=0.07, enhance_base=0.25, enhance_gain=0.75,
              warp_base=0.0, warp_gain=1.0, smooth_max=0.5, work_width=512),
    # Film-grade, natural: the inputs' own detail at the default, a softer edge.
    ModelType(2, "影视级，画面偏自然", "film-grade, natural", feather=0.12, enhance_base=0.0, enhance_gain=1.0,
              warp_base=0.0, warp_gain=1.0, smooth_max=0.5, work_width=512),
    # Film-grade, high resolution: a little more detail than 2 and half its smoothing, so a large
    # template's skin texture survives.
    ModelType(3, "影视级，高分辨率，画面偏自然", "film-grade, high resolution, natural", feather=0.12,
              enhance_base=0.1, enhance_gain=0.9, warp_base=0.0, warp_gain=1.0, smooth_max=0.25, work_width=768),
    # High similarity (ID photos): the outline follows the user further at every WarpRadio.
    ModelType(4, "影视级，高分辨率，高人脸相似度", "film-grade, high resolution, high similarity", feather=0.10,
              enhance_base=0.1, enhance_gain=0.9, warp_base=0.4, warp_gain=0.6, smooth_max=0.25, work_width=768),
    # Tolerant of occlusion: the widest, softest edge (redefine's), so what covers the face's border
    # (a hand, a fringe, glasses' rims) stays the template's; the engine's skin test cuts the rest.
    ModelType(5, "影视级，高分辨率，对闭眼和遮挡更友好", "film-grade, high resolution, occlusion-tolerant",
              feather=0.18, enhance_base=0.1, enhance_gain=0.9, warp_base=0.0, warp_gain=1.0, smooth_max=0.25,
              work_width=768),
    # Very high similarity: the user's outline entirely, the inputs' detail, no smoothing; the
    # knobs do not apply.
    ModelType(6, "影视级，高分辨率，极高人脸相似度", "film-grade, high resolution, very high similarity",
              feather=0.10, enhance_base=0.5, enhance_gain=0.0, warp_base=1.0, warp_gain=0.0, smooth_max=0.0,
              work_width=768, knobs=False),
)}


@dataclass(frozen=True)
class UltraKnobs:
    """FusionUltraParam with the cloud's defaults. BlurRadio is not supported (on the cloud either)."""

    warp: float = 0.7  # WarpRadio: the face's outline toward the user's
    enhance: float = 0.5  # EnhanceRadio: detail and sharpness
    smooth: float = 0.5  # MpRadio: skin smoothing
    teeth: bool = True  # TeethEnhanceRadio
    makeup: bool = False  # MakeupTransferRadio: the template's lip and eye colour


def ultra_params(model_type: int, knobs: UltraKnobs | None = None) -> FaceParams:
    """The engine's parameters for one face: the model type's preset moved by the knobs. Every
    knob is monotonic in its effect for types 1-5; type 6 ignores them (its teeth and makeup are the
    defaults)."""
    model = MODEL_TYPES.get(model_type)
    if model is None:
        raise InvalidParameter(f"SwapModelType {model_type} is not one of 1-6")
    k = knobs if knobs is not None and model.knobs else UltraKnobs()
    warp, enhance, smooth = (float(np.clip(v, 0.0, 1.0)) for v in (k.warp, k.enhance, k.smooth))
    options = FuseOptions(warp=model.warp_base + model.warp_gain * warp,
                          enhance=model.enhance_base + model.enhance_gain * enhance,
                          smooth=model.smooth_max * smooth, teeth=bool(k.teeth), makeup=bool(k.makeup))
    params = params_for("faceswap", None, None, options)
    return replace(params, feather=model.feather)


# --- the template -------------------------------------------------------------------------------

@dataclass
class UltraTemplate:
    """The decoded template: ``pixels`` is BGR, or BGRA when the PNG has transparency (the alpha is
    never changed and goes back out as it came)."""

    pixels: np.ndarray
    format: str  # JPEG | PNG
    width: int
    height: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def has_alpha(self) -> bool:
        return self.pixels.ndim == 3 and self.pixels.shape[2] == 4

    @property
    def bgr(self) -> np.ndarray:
        """The colour channels, a view to draw into (for BGRA the transparent parts keep their colour)."""
        return self.pixels[:, :, :3] if self.has_alpha else self.pixels

    def patch(self, x0: int, y0: int, x1: int, y1: int, *, copy: bool = False) -> np.ndarray:
        """A region as the engine sees it: BGR, transparent parts over white (as the FuseFace
        decoder gives them). A view of an opaque template unless ``copy``; never the whole image."""
        part = self.pixels[y0:y1, x0:x1]
        if not self.has_alpha:
            return part.copy() if copy else part
        return _over_white(part)


def _over_white(bgra: np.ndarray) -> np.ndarray:
    a = bgra[:, :, 3:4].astype(np.float32) / 255.0
    return (bgra[:, :, :3].astype(np.float32) * a + 255.0 * (1.0 - a) + 0.5).astype(np.uint8)


# EXIF orientation → the cv2 operations that turn the stored pixels upright.
_ORIENT: dict[int, list[int | None]] = {
    2: [None], 3: [cv2.ROTATE_180], 4: [cv2.ROTATE_180, None], 5: [cv2.ROTATE_90_CLOCKWISE, None],
    6: [cv2.ROTATE_90_CLOCKWISE], 7: [cv2.ROTATE_90_COUNTERCLOCKWISE, None], 8: [cv2.ROTATE_90_COUNTERCLOCKWISE],
}


def _header(data: bytes) -> tuple[str, int, int, int, bool]:
    """(format, stored width, stored height, EXIF orientation, may have transparency), read from the
    header alone."""
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageDecodeFailed("not a JPEG or PNG file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
            orientation = int(img.getexif().get(0x0112, 1) or 1)
    except Image.DecompressionBombError as exc:
        raise ImagePixelExceed(str(exc)) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageDecodeFailed(str(exc)) from exc
    alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    return fmt, img.size[0], img.size[1], orientation, alpha


def open_template(data: bytes, *, max_bytes: int | None = None, max_side: int = MAX_SIDE,
                  min_side: int = MIN_SIDE) -> UltraTemplate:
    """Checks the header, then decodes the pixels once (EXIF orientation applied)."""
    started = time.perf_counter()
    if max_bytes is not None and len(data) > max_bytes:
        raise ImageSizeExceed(f"{len(data)} bytes > {max_bytes}")
    fmt, w, h, orientation, alpha = _header(data)
    if w < min_side or h < min_side:
        raise ImageResolutionTooSmall(f"{w}x{h} < {min_side}")
    if w > max_side or h > max_side:
        raise ImageResolutionExceed(f"{w}x{h} > {max_side}")
    if w * h > max_side * max_side:
        raise ImagePixelExceed(f"{w * h} pixels")
    flags = (cv2.IMREAD_UNCHANGED if alpha else cv2.IMREAD_COLOR) | cv2.IMREAD_IGNORE_ORIENTATION
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if pixels is None or pixels.shape[0] != h or pixels.shape[1] != w:
        raise ImageDecodeFailed("the image data is truncated or corrupt")
    if pixels.dtype != np.uint8:  # 16-bit PNG
        pixels = (np.asarray(pixels, np.uint16) >> 8).astype(np.uint8)
    if pixels.ndim == 2:  # a grey PNG read unchanged (OpenCV gives grey with alpha as BGRA)
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    if pixels.shape[2] == 4 and int(pixels[:, :, 3].min()) == 255:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGRA2BGR)  # opaque after all: keep three channels
    for op in _ORIENT.get(orientation, []):
        pixels = cv2.flip(pixels, 1) if op is None else cv2.rotate(pixels, op)
    height, width = pixels.shape[:2]
    return UltraTemplate(pixels=pixels, format=fmt, width=width, height=height,
                         timings={"decode_ms": (time.perf_counter() - started) * 1000})


# --- faces --------------------------------------------------------------------------------------

@dataclass
class UltraFace:
    face_id: str  # face_0, face_1, ... by area on the whole image; "rect" for a face found by its rect
    box: Rect  # full-resolution pixels
    mesh: np.ndarray  # (468, 3) full-resolution pixels
    embedding: list[float] | None = None

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]


@dataclass
class TemplateFaces:
    faces: list[UltraFace]  # found on the whole image, largest first
    by_rect: dict[Rect, UltraFace]  # found where a TemplateFaceRect pointed
    small: np.ndarray  # the downscaled copy detection looked at (BGR), for the perceptual hash

    def all(self) -> list[UltraFace]:
        return self.faces + [f for f in self.by_rect.values() if all(f is not g for g in self.faces)]


def _downscaled(tmpl: UltraTemplate, max_pixels: int) -> tuple[np.ndarray, float]:
    """One area-averaged copy of at most ``max_pixels`` (BGR), and its scale. The factor is a whole
    number (OpenCV's fast path for area averaging; the last few rows and columns are left out)."""
    k = int(np.ceil((tmpl.width * tmpl.height / float(max_pixels)) ** 0.5))
    if k <= 1:
        return tmpl.patch(0, 0, tmpl.width, tmpl.height), 1.0
    w, h = tmpl.width // k, tmpl.height // k
    small = cv2.resize(tmpl.pixels[: h * k, : w * k], (w, h), interpolation=cv2.INTER_AREA)
    return (_over_white(small) if tmpl.has_alpha else small), 1.0 / k


def _shrunk(tmpl: UltraTemplate, x0: int, y0: int, x1: int, y1: int, scale: float) -> np.ndarray:
    """A region brought down by ``scale`` (area averaging), BGR as the engine sees it; the full-size
    region is never copied."""
    part = tmpl.pixels[y0:y1, x0:x1]
    if scale < 1.0:
        size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
        part = cv2.resize(part, size, interpolation=cv2.INTER_AREA)
    if part.shape[2] == 4:
        return _over_white(part)
    return part if scale < 1.0 else np.ascontiguousarray(part)


# Mesh fits and embeddings look at the face through 192 and 150 px crops: a face is brought down to
# this width first, so a 2,000 px face costs what a 400 px one does.
ANALYSIS_FACE_WIDTH = 400


def _around(tmpl: UltraTemplate, box: Rect, margin: float) -> tuple[int, int, int, int]:
    x, y, w, h = box
    m = int(margin * max(w, h))
    return max(0, x - m), max(0, y - m), min(tmpl.width, x + w + m), min(tmpl.height, y + h + m)


def _near(tmpl: UltraTemplate, box: Rect, margin: float) -> tuple[np.ndarray, tuple[float, float, float, float], Rect]:
    """The pixels around a face, the face at most ANALYSIS_FACE_WIDTH wide: (pixels, (x0, y0, sx, sy),
    the box in them), where a pixel (u, v) of them is at ((u + 0.5) sx - 0.5 + x0, ...) in the template."""
    x0, y0, x1, y1 = _around(tmpl, box, margin)
    pixels = _shrunk(tmpl, x0, y0, x1, y1, min(1.0, ANALYSIS_FACE_WIDTH / float(max(box[2], box[3]))))
    sx, sy = (x1 - x0) / pixels.shape[1], (y1 - y0) / pixels.shape[0]
    local = (round((box[0] - x0) / sx), round((box[1] - y0) / sy), max(1, round(box[2] / sx)),
             max(1, round(box[3] / sy)))
    return pixels, (x0, y0, sx, sy), local


def _mesh(engine: Engine, tmpl: UltraTemplate, box: Rect) -> tuple[np.ndarray, float]:
    """The face's mesh in full-resolution pixels, fitted on the pixels around its box (the mesh
    model's crops reach 1.5 times the face, twice over)."""
    pixels, (x0, y0, sx, sy), local = _near(tmpl, box, 1.2)
    mesh, presence = engine.stack.mesh(pixels, local)
    full = np.column_stack([(mesh[:, 0] + 0.5) * sx - 0.5 + x0, (mesh[:, 1] + 0.5) * sy - 0.5 + y0,
                            mesh[:, 2] * sx])
    return full, presence


def _embedding(engine: Engine, tmpl: UltraTemplate, box: Rect) -> list[float]:
    """The face's embedding from the pixels around it (the whole image is never converted to RGB)."""
    pixels, _where, local = _near(tmpl, box, 1.0)
    rgb = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
    return [float(v) for v in engine.stack.embedding(rgb, local)]


def _fitted(engine: Engine, tmpl: UltraTemplate, dets: list[Detection]) -> list[tuple[Detection, np.ndarray]]:
    out = []
    for d in dets:
        mesh, presence = _mesh(engine, tmpl, d.box)
        if presence >= MIN_PRESENCE:
            out.append((d, mesh))
    return out


def _detect(engine: Engine, bgr: np.ndarray) -> list[Detection]:
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    return engine.stack.detect(gray, thorough=True)


def _face_at_rect(engine: Engine, tmpl: UltraTemplate, rect: Rect) -> UltraFace:
    """The face a TemplateFaceRect points at, searched at full resolution around the rect; without
    a detection overlapping it, the rect itself is trusted (the caller says where the face is)."""
    x, y, w, h = (int(v) for v in rect)
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > tmpl.width or y + h > tmpl.height:
        raise FaceRectInvalid(f"TemplateFaceRect {rect} outside the {tmpl.width}x{tmpl.height} template")
    if min(w, h) < MIN_FACE_SIDE:
        raise FaceSizeTooSmall(f"TemplateFaceRect {rect}")
    m = (RECT_SEARCH_SCALE - 1.0) / 2.0
    x0, y0 = max(0, int(x - m * w)), max(0, int(y - m * h))
    x1, y1 = min(tmpl.width, int(x + w + m * w)), min(tmpl.height, int(y + h + m * h))
    scale = min(1.0, (RECT_SEARCH_MAX_PIXELS / float((x1 - x0) * (y1 - y0))) ** 0.5)
    crop = _shrunk(tmpl, x0, y0, x1, y1, scale)
    scale = crop.shape[1] / (x1 - x0)
    box = (x, y, w, h)
    dets = [Detection(box=(x0 + round(d.box[0] / scale), y0 + round(d.box[1] / scale), round(d.box[2] / scale),
                           round(d.box[3] / scale)), score=d.score) for d in _detect(engine, crop)]
    best = max(dets, key=lambda d: _iou(d.box, box), default=None)
    if best is not None and _iou(best.box, box) >= 0.2:
        box = best.box
    mesh, presence = _mesh(engine, tmpl, box)
    if presence < MIN_PRESENCE:
        raise NoFaceDetected(f"no face at TemplateFaceRect {rect}")
    return UltraFace(face_id="rect", box=box, mesh=mesh, embedding=_embedding(engine, tmpl, box))


def find_faces(engine: Engine, tmpl: UltraTemplate, *, rects: list[Rect] | None = None) -> TemplateFaces:
    """The template's faces (largest first, ids face_0, face_1, ...), each with its full-resolution
    mesh and embedding, and the faces the rects point at. Raises NoFaceDetected / FaceSizeTooSmall
    when the whole image shows none and no rect points at one."""
    started = time.perf_counter()
    small, scale = _downscaled(tmpl, DETECT_MAX_PIXELS)
    dets = [Detection(box=(round(d.box[0] / scale), round(d.box[1] / scale), round(d.box[2] / scale),
                           round(d.box[3] / scale)), score=d.score) for d in _detect(engine, small)]
    big = sorted((d for d in dets if min(d.box[2], d.box[3]) >= MIN_FACE_SIDE),
                 key=lambda d: (-d.box[2] * d.box[3], d.box[0], d.box[1]))
    faces = [UltraFace(face_id=f"face_{i}", box=d.box, mesh=mesh, embedding=_embedding(engine, tmpl, d.box))
             for i, (d, mesh) in enumerate(_fitted(engine, tmpl, big))]
    by_rect: dict[Rect, UltraFace] = {}
    for rect in rects or []:
        key = tuple(int(v) for v in rect)
        if key in by_rect:
            continue
        on_whole = max(faces, key=lambda f: _iou(f.box, key), default=None)  # type: ignore[arg-type]
        if on_whole is not None and _iou(on_whole.box, key) >= 0.2:  # type: ignore[arg-type]
            by_rect[key] = on_whole  # type: ignore[index]
        else:
            by_rect[key] = _face_at_rect(engine, tmpl, key)  # type: ignore[index,arg-type]
    if not faces and not by_rect:
        if dets:
            raise FaceSizeTooSmall(f"largest face {max(min(d.box[2], d.box[3]) for d in dets)} px")
        raise NoFaceDetected()
    tmpl.timings["faces_ms"] = (time.perf_counter() - started) * 1000
    return TemplateFaces(faces=faces, by_rect=by_rect, small=small)


def perceptual_hash_of(small: np.ndarray) -> str:
    """The review's 64-bit dHash (fusion.engine.phash) computed from pixels already decoded, so an
    8000 px PNG is not decoded a second time for it."""
    img = Image.fromarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)).resize((9, 8), Image.Resampling.LANCZOS)
    px = np.asarray(img, dtype=np.int16)
    bits = (px[:, 1:] > px[:, :-1]).flatten()
    value = 0
    for b in bits:
        value = (value << 1) | int(b)
    return f"{value:016x}"


# --- fusion -------------------------------------------------------------------------------------

@dataclass
class UltraMapping:
    source: bytes  # the user's photo
    source_face_rect: Rect | None = None
    template_face_id: str | None = None
    template_face_rect: Rect | None = None


def _template_face(found: TemplateFaces, m: UltraMapping) -> UltraFace:
    if m.template_face_id is not None:
        for f in found.faces:
            if f.face_id == m.template_face_id:
                return f
        raise TemplateFaceIDNotExist(m.template_face_id)
    if m.template_face_rect is not None:
        return found.by_rect[tuple(int(v) for v in m.template_face_rect)]  # type: ignore[index]
    if not found.faces:
        raise NoFaceDetected("the template has no face of its own to fuse into")
    return found.faces[0]


def _region(tmpl: UltraTemplate, mesh: np.ndarray) -> tuple[int, int, int, int]:
    lo, hi = mesh[:, :2].min(0), mesh[:, :2].max(0)
    centre, half = (lo + hi) / 2.0, (hi - lo) / 2.0 * REGION_SCALE + 8.0
    x0, y0 = np.floor(centre - half).astype(int)
    x1, y1 = np.ceil(centre + half).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(tmpl.width, x1), min(tmpl.height, y1)
    return int(x0), int(y0), int(x1), int(y1)


def _fuse_region(tmpl: UltraTemplate, t_mesh: np.ndarray, src: np.ndarray, s_mesh: np.ndarray,
                 params: FaceParams, work_width: int) -> tuple[int, int, int, int]:
    """Fuses one face into the template and returns where it changed.

    A face up to ``work_width`` wide is fused on a copy of its region, pasted back. The engine's cost
    grows faster than a face's area (its masks and smoothing scale with the face), so a wider face is
    fused on a copy of its region brought down to that width, and the result goes back up to full
    resolution in strips, straight into the template: where the user's face shows (the engine's
    alpha), the fused face scaled up; around it, the template's own full-resolution pixels plus the
    change the engine made there (the outline's small move), so the scene keeps its sharpness. The
    full-size region is never copied."""
    x0, y0, x1, y1 = _region(tmpl, t_mesh)
    t_local = t_mesh - np.array([x0, y0, 0.0])
    width = float(np.ptp(t_local[md.FACE_OVAL, 0])) or 1.0
    if width <= work_width * 1.05:
        crop = tmpl.patch(x0, y0, x1, y1, copy=True)
        rx, ry, rw, rh = fuse_face(crop, t_local, src, s_mesh, params).roi
        tmpl.bgr[y0 + ry : y0 + ry + rh, x0 + rx : x0 + rx + rw] = crop[ry : ry + rh, rx : rx + rw]
        return x0 + rx, y0 + ry, rw, rh
    w, h = x1 - x0, y1 - y0
    small = _shrunk(tmpl, x0, y0, x1, y1, work_width / width)
    sx, sy = small.shape[1] / w, small.shape[0] / h
    # A point p of the region is at (p + 0.5) * k - 0.5 in the small copy; depth scales with the width.
    t_small = np.column_stack([(t_local[:, 0] + 0.5) * sx - 0.5, (t_local[:, 1] + 0.5) * sy - 0.5,
                               t_local[:, 2] * sx])
    before = small.astype(np.float32)
    region = fuse_face(small, t_small, src, s_mesh, params)
    rx, ry, rw, rh = region.roi
    # The full-resolution rows and columns the small ROI covers.
    fx0, fy0 = max(0, int(np.floor((rx - 0.5) / sx))), max(0, int(np.floor((ry - 0.5) / sy)))
    fx1, fy1 = min(w, int(np.ceil((rx + rw + 0.5) / sx))), min(h, int(np.ceil((ry + rh + 0.5) / sy)))
    alpha = np.zeros(small.shape[:2], np.float32)
    alpha[ry : ry + rh, rx : rx + rw] = region.mask
    fused = small.astype(np.float32)
    delta = fused - before
    strip = 256  # rows at a time: the float copies stay a few tens of megabytes however large the face
    flags = cv2.WARP_INVERSE_MAP
    for top in range(fy0, fy1, strip):
        bottom = min(fy1, top + strip)
        # Full pixel (X, Y) samples the small copy at ((X + 0.5) * sx - 0.5, (Y + 0.5) * sy - 0.5).
        m = np.array([[sx, 0.0, (fx0 + 0.5) * sx - 0.5], [0.0, sy, (top + 0.5) * sy - 0.5]])
        size = (fx1 - fx0, bottom - top)
        a = cv2.warpAffine(alpha, m, size, flags=flags | cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        up = cv2.warpAffine(fused, m, size, flags=flags | cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        d = cv2.warpAffine(delta, m, size, flags=flags | cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        target = tmpl.bgr[y0 + top : y0 + bottom, x0 + fx0 : x0 + fx1]
        a3 = a[:, :, None]
        out = up * a3 + (target.astype(np.float32) + d) * (1.0 - a3)
        target[:] = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return x0 + fx0, y0 + fy0, fx1 - fx0, fy1 - fy0


def fuse(engine: Engine, tmpl: UltraTemplate, found: TemplateFaces, mappings: list[UltraMapping], *,
         model_type: int = 1, knobs: UltraKnobs | None = None,
         label: Label | None = None) -> tuple[bytes, list[tuple[int, int, int, int]]]:
    """Fuses every mapping into the template, in place, and encodes the result in the template's
    format with its labels. Returns the encoded image and where each face was blended."""
    started = time.perf_counter()
    label = Label() if label is None else label
    if not mappings:
        raise InvalidParameter("no face mapping")
    if len(mappings) > MAX_MAPPINGS:
        raise TooManyFaces(f"{len(mappings)} mappings > {MAX_MAPPINGS}")
    params = ultra_params(model_type, knobs)
    work_width = MODEL_TYPES[model_type].work_width
    # Everything is resolved before anything is drawn: a bad mapping fails the whole request.
    plan: list[tuple[UltraFace, DecodedImage, np.ndarray]] = []
    sources: dict[int, DecodedImage] = {}  # a photo given for several faces is decoded once
    user_meshes: dict[tuple[int, tuple[int, ...] | None], np.ndarray] = {}
    for m in mappings:
        t_face = _template_face(found, m)
        src = sources.get(id(m.source))
        if src is None:
            src = sources[id(m.source)] = engine.decode(m.source)
        key = (id(m.source), None if m.source_face_rect is None else tuple(int(v) for v in m.source_face_rect))
        if key not in user_meshes:
            user_meshes[key] = engine._source_mesh(src, m.source_face_rect)
        plan.append((t_face, src, user_meshes[key]))
    regions = [_fuse_region(tmpl, t.mesh, src.pixels, s_mesh, params, work_width) for t, src, s_mesh in plan]
    if label.logo is not None:
        labels.draw_logo(tmpl.bgr, label.logo, label.logo_rect)
    elif label.visible:
        labels.draw_visible(tmpl.bgr)
    tmpl.timings["fuse_ms"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    data = encode(tmpl)
    data = labels.embed_xmp(data, tmpl.format, labels.xmp_packet(label))
    tmpl.timings["encode_ms"] = (time.perf_counter() - started) * 1000
    return data, regions


def encode(tmpl: UltraTemplate, *, quality: int = 92) -> bytes:
    """The template's format from the one buffer: JPEG at the engine's quality, PNG (with its alpha
    when it has one) at the engine's fast settings."""
    if tmpl.format == "PNG":
        ok, buf = cv2.imencode(".png", tmpl.pixels, [cv2.IMWRITE_PNG_COMPRESSION, 1,
                                                     cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE,
                                                     cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_PAETH])
    else:
        ok, buf = cv2.imencode(".jpg", tmpl.pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ImageDecodeFailed("encoding failed")
    return buf.tobytes()
