"""The engine: decode → detect → landmarks → pose → fuse → label → encode."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import cv2
import numpy as np

from fusion.engine import geometry as geo
from fusion.engine import imageio, labels
from fusion.engine.errors import (
    EngineError,
    FaceRectInvalid,
    FaceSizeTooSmall,
    InvalidParameter,
    NoFaceDetected,
    TemplateFaceIDNotExist,
    TooManyFaces,
)
from fusion.engine.facestack import DlibFaceStack, FaceStack, _iou
from fusion.engine.fuse import VERSIONS, FusedRegion, fuse_face, params_for, target_landmarks
from fusion.engine.types import DecodedImage, Face, FaceMapping, Label, Rect, TemplateRecord

MAX_MAPPINGS = 6
MIN_FACE_SIDE = 34


class Engine:
    """Holds the loaded face stack; safe to share between threads."""

    def __init__(self, stack: FaceStack | None = None, *, template_cache: int = 8) -> None:
        self.stack: FaceStack = stack if stack is not None else DlibFaceStack()
        # A worker fuses into the same few campaign templates over and over: keep their decoded
        # pixels (keyed by content) instead of decoding a 1080 px PNG on every request.
        self._templates: OrderedDict[bytes, DecodedImage] = OrderedDict()
        self._templates_max = template_cache
        self._templates_lock = threading.Lock()

    def _decode_template(self, data: bytes) -> DecodedImage:
        key = hashlib.blake2b(data, digest_size=16).digest()
        with self._templates_lock:
            img = self._templates.get(key)
            if img is not None:
                self._templates.move_to_end(key)
                return img
        img = self.decode(data)
        img.pixels.setflags(write=False)
        with self._templates_lock:
            self._templates[key] = img
            while len(self._templates) > self._templates_max:
                self._templates.popitem(last=False)
        return img

    # -- images -------------------------------------------------------------------------------

    def decode(
        self,
        data: bytes,
        *,
        max_bytes: int | None = None,
        min_side: int = 64,
        max_side: int = imageio.DEFAULT_MAX_SIDE,
        max_pixels: int = imageio.DEFAULT_MAX_PIXELS,
    ) -> DecodedImage:
        return imageio.decode(
            data, max_bytes=max_bytes, min_side=min_side, max_side=max_side, max_pixels=max_pixels
        )

    # -- analysis -----------------------------------------------------------------------------

    def faces_in(
        self,
        img: DecodedImage,
        *,
        thorough: bool = True,
        with_embeddings: bool = False,
        min_face: int = MIN_FACE_SIDE,
    ) -> list[Face]:
        """Faces of at least min_face px, largest first, ids face_0, face_1, ... in that order.

        Raises NoFaceDetected when there is none, FaceSizeTooSmall when all are too small."""
        gray = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2GRAY)
        dets = self.stack.detect(gray, thorough=thorough)
        if not dets:
            raise NoFaceDetected()
        big = [d for d in dets if min(d.box[2], d.box[3]) >= min_face]
        if not big:
            raise FaceSizeTooSmall(f"largest face {max(min(d.box[2], d.box[3]) for d in dets)} px")
        # Largest first; equal sizes left to right, so the ids are stable for a given image.
        big.sort(key=lambda d: (-d.box[2] * d.box[3], d.box[0], d.box[1]))
        rgb = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2RGB) if with_embeddings else None
        faces: list[Face] = []
        for i, d in enumerate(big):
            lms = self.stack.landmarks(gray, d.box)
            faces.append(self._face(f"face_{i}", d.box, d.score, lms, img, rgb))
        return faces

    def _face(
        self,
        face_id: str,
        box: Rect,
        score: float,
        lms: np.ndarray,
        img: DecodedImage,
        rgb: np.ndarray | None,
    ) -> Face:
        yaw, pitch, roll = geo.estimate_pose(lms, img.width, img.height)
        emb = None if rgb is None else [float(v) for v in self.stack.embedding(rgb, lms)]
        return Face(
            face_id=face_id,
            box=box,
            score=float(score),
            landmarks=[(float(x), float(y)) for x, y in lms],
            yaw=yaw,
            pitch=pitch,
            roll=roll,
            embedding=emb,
        )

    def analyse(self, data: bytes, *, with_embeddings: bool = False, thorough: bool = True) -> list[Face]:
        return self.faces_in(self.decode(data), thorough=thorough, with_embeddings=with_embeddings)

    def analyse_template(self, data: bytes, *, max_side: int = imageio.DEFAULT_MAX_SIDE) -> TemplateRecord:
        img = self.decode(data, max_side=max_side)
        faces = self.faces_in(img, thorough=True, with_embeddings=True)
        return TemplateRecord(width=img.width, height=img.height, format=img.format, faces=faces)

    def embedding_of(self, data: bytes) -> list[float]:
        img = self.decode(data)
        face = self.faces_in(img, thorough=False)[0]
        rgb = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2RGB)
        return [float(v) for v in self.stack.embedding(rgb, face.landmarks_array())]

    def source_face(self, img: DecodedImage, rect: Rect | None = None) -> Face:
        """The user's face: the one at rect when given, else the largest."""
        if rect is not None:
            x, y, w, h = (int(v) for v in rect)
            if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > img.width or y + h > img.height:
                raise FaceRectInvalid(f"rect {rect} outside the {img.width}x{img.height} image")
            if min(w, h) < MIN_FACE_SIDE:
                raise FaceSizeTooSmall(f"rect {rect}")
            gray = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2GRAY)
            dets = self.stack.detect(gray, thorough=False)
            best = max(dets, key=lambda d: _iou(d.box, (x, y, w, h)), default=None)
            if best is not None and _iou(best.box, (x, y, w, h)) >= 0.2:
                box, score = best.box, best.score
            else:
                # The caller says where the face is: trust the rect as the detection.
                box, score = (x, y, w, h), 0.0
            lms = self.stack.landmarks(gray, box)
            return self._face("source", box, score, lms, img, None)
        return self.faces_in(img, thorough=False)[0]

    # -- fusion -------------------------------------------------------------------------------

    def fuse(
        self,
        *,
        template: bytes,
        record: TemplateRecord,
        mappings: list[FaceMapping],
        version: str = "faceswap",
        face_degree: int | None = None,
        profile_degree: int | None = None,
        label: Label | None = None,
    ) -> bytes:
        out, _ = self.fuse_pixels(
            template=template,
            record=record,
            mappings=mappings,
            version=version,
            face_degree=face_degree,
            profile_degree=profile_degree,
            label=label,
        )
        return out

    def fuse_pixels(
        self,
        *,
        template: bytes,
        record: TemplateRecord,
        mappings: list[FaceMapping],
        version: str = "faceswap",
        face_degree: int | None = None,
        profile_degree: int | None = None,
        label: Label | None = None,
    ) -> tuple[bytes, list[FusedRegion]]:
        """fuse(), also returning where each face was blended (for tests and the benchmark)."""
        tmpl, canvas, regions = self.render(
            template=template,
            record=record,
            mappings=mappings,
            version=version,
            face_degree=face_degree,
            profile_degree=profile_degree,
            label=label,
        )
        label = Label() if label is None else label
        data = imageio.encode(canvas, tmpl.format, alpha=tmpl.alpha)
        return labels.embed_xmp(data, tmpl.format, labels.xmp_packet(label)), regions

    def render(
        self,
        *,
        template: bytes,
        record: TemplateRecord,
        mappings: list[FaceMapping],
        version: str = "faceswap",
        face_degree: int | None = None,
        profile_degree: int | None = None,
        label: Label | None = None,
    ) -> tuple[DecodedImage, np.ndarray, list[FusedRegion]]:
        """The fused pixels (BGR, visible label drawn) before encoding."""
        label = Label() if label is None else label
        if version not in VERSIONS:
            raise InvalidParameter(f"unknown version {version!r}")
        if not mappings:
            raise InvalidParameter("no face mapping")
        if len(mappings) > MAX_MAPPINGS:
            raise TooManyFaces(f"{len(mappings)} mappings > {MAX_MAPPINGS}")
        for deg in (face_degree, profile_degree):
            if deg is not None and not 0 <= int(deg) <= 100:
                raise InvalidParameter(f"degree {deg} outside 0-100")
        tmpl = self._decode_template(template)
        if (tmpl.width, tmpl.height) != (record.width, record.height):
            raise EngineError("template record does not match the template image")
        params = params_for(version, face_degree, profile_degree)

        # Resolve everything before drawing anything, so a bad mapping fails the whole request.
        plan: list[tuple[Face, DecodedImage, Face]] = []
        sources: dict[int, DecodedImage] = {}
        for m in mappings:
            t_face = self._template_face(record, m)
            src = sources.get(id(m.source))
            if src is None:
                src = self.decode(m.source)
                sources[id(m.source)] = src
            plan.append((t_face, src, self.source_face(src, m.source_face_rect)))

        canvas = tmpl.pixels.copy()
        regions: list[FusedRegion] = []
        for t_face, src, s_face in plan:
            t_lms = t_face.landmarks_array().astype(np.float64)
            s_lms = s_face.landmarks_array().astype(np.float64)
            t_pose = _pose_tuple(t_lms, record.width, record.height)
            s_pose = _pose_tuple(s_lms, src.width, src.height)
            target = target_landmarks(t_lms, s_lms, params, t_pose=t_pose, s_pose=s_pose)
            regions.append(fuse_face(canvas, t_lms, src.pixels, s_lms, params, target=target))

        if label.logo is not None:
            labels.draw_logo(canvas, label.logo, label.logo_rect)
        elif label.visible:
            labels.draw_visible(canvas)
        return tmpl, canvas, regions

    def _template_face(self, record: TemplateRecord, m: FaceMapping) -> Face:
        if m.template_face_id is not None:
            face = record.face(m.template_face_id)
            if face is None:
                raise TemplateFaceIDNotExist(m.template_face_id)
            return face
        if m.template_face_rect is not None:
            best = max(record.faces, key=lambda f: _iou(f.box, m.template_face_rect), default=None)
            if best is None or _iou(best.box, m.template_face_rect) < 0.2:
                raise FaceRectInvalid(f"no template face at {m.template_face_rect}")
            return best
        face = record.face(None)
        if face is None:
            raise NoFaceDetected("template has no face")
        return face


def _pose_tuple(
    lms: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    rvec, tvec = geo.solve_pose(lms, width, height)
    return rvec, tvec, lms[27:36].mean(0), (width, height)


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    """The process-wide warm engine: the models load once, on first use."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = Engine()
    return _engine
