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
from fusion.engine.facestack import Detection, DlibFaceStack, FaceStack, _iou
from fusion.engine.fuse import VERSIONS, FusedRegion, Pose, fuse_face, params_for, target_landmarks
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

    # Limits are the caller's to pass (see imageio.decode); the engine adds nothing to decoding.
    decode = staticmethod(imageio.decode)

    # -- analysis -----------------------------------------------------------------------------

    def _detections(self, gray: np.ndarray, *, thorough: bool) -> list[Detection]:
        """Detections of at least MIN_FACE_SIDE px, largest first (equal sizes left to right, so
        the ids are stable for a given image).

        Raises NoFaceDetected when there is none, FaceSizeTooSmall when all are too small."""
        dets = self.stack.detect(gray, thorough=thorough)
        if not dets:
            raise NoFaceDetected()
        big = [d for d in dets if min(d.box[2], d.box[3]) >= MIN_FACE_SIDE]
        if not big:
            raise FaceSizeTooSmall(f"largest face {max(min(d.box[2], d.box[3]) for d in dets)} px")
        big.sort(key=lambda d: (-d.box[2] * d.box[3], d.box[0], d.box[1]))
        return big

    def faces_in(self, img: DecodedImage, *, thorough: bool = True, with_embeddings: bool = False) -> list[Face]:
        """Faces of at least MIN_FACE_SIDE px, largest first, ids face_0, face_1, ... in that order.

        Raises NoFaceDetected when there is none, FaceSizeTooSmall when all are too small."""
        gray = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2GRAY)
        big = self._detections(gray, thorough=thorough)
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
        """The embedding of the largest face (found on the fast path, as a user's photo is)."""
        img = self.decode(data)
        lms = self._source_landmarks(img, None)
        rgb = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2RGB)
        return [float(v) for v in self.stack.embedding(rgb, lms)]

    def _source_landmarks(self, img: DecodedImage, rect: Rect | None) -> np.ndarray:
        """The user's face's 68 landmarks (float32): the face at rect when given, else the largest.
        Only that one face gets landmarks; fusion needs no Face record (ids, pose angles) for it."""
        if rect is None:
            gray = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2GRAY)
            return self.stack.landmarks(gray, self._detections(gray, thorough=False)[0].box)
        x, y, w, h = (int(v) for v in rect)
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > img.width or y + h > img.height:
            raise FaceRectInvalid(f"rect {rect} outside the {img.width}x{img.height} image")
        if min(w, h) < MIN_FACE_SIDE:
            raise FaceSizeTooSmall(f"rect {rect}")
        gray = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2GRAY)
        dets = self.stack.detect(gray, thorough=False)
        best = max(dets, key=lambda d: _iou(d.box, (x, y, w, h)), default=None)
        # The caller says where the face is: without a detection overlapping it, trust the rect.
        box = best.box if best is not None and _iou(best.box, (x, y, w, h)) >= 0.2 else (x, y, w, h)
        return self.stack.landmarks(gray, box)

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
        """The fused picture, encoded in the template's format with its labels."""
        label = Label() if label is None else label
        tmpl, canvas, _ = self.render(
            template=template,
            record=record,
            mappings=mappings,
            version=version,
            face_degree=face_degree,
            profile_degree=profile_degree,
            label=label,
        )
        return self.encode_result(tmpl, canvas, label)

    @staticmethod
    def encode_result(tmpl: DecodedImage, canvas: np.ndarray, label: Label) -> bytes:
        """render()'s pixels encoded as fuse() answers them: the template's format and
        transparency, and the implicit label (always written, whatever label.visible says)."""
        data = imageio.encode(canvas, tmpl.format, alpha=tmpl.alpha)
        return labels.embed_xmp(data, tmpl.format, labels.xmp_packet(label))

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
        """The fused pixels (BGR, visible label drawn) before encoding, with where each face was
        blended (for tests and the benchmark)."""
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
        # Poses only feed the side-face correction; redefine has none.
        with_pose = params.pose_correct > 0

        # Resolve everything before drawing anything, so a bad mapping fails the whole request.
        # A photo given for several faces is decoded, and its face found, once.
        plan: list[tuple[Face, DecodedImage, np.ndarray, Pose | None]] = []
        sources: dict[int, DecodedImage] = {}
        user_faces: dict[tuple[int, tuple[int, ...] | None], tuple[np.ndarray, Pose | None]] = {}
        for m in mappings:
            t_face = self._template_face(record, m)
            src = sources.get(id(m.source))
            if src is None:
                src = sources[id(m.source)] = self.decode(m.source)
            rect = None if m.source_face_rect is None else tuple(m.source_face_rect)  # hashable even if a list
            key = (id(m.source), rect)
            if key not in user_faces:
                s_lms = self._source_landmarks(src, m.source_face_rect).astype(np.float64)
                user_faces[key] = (s_lms, _pose_tuple(s_lms, src.width, src.height) if with_pose else None)
            plan.append((t_face, src, *user_faces[key]))

        canvas = tmpl.pixels.copy()
        regions: list[FusedRegion] = []
        for t_face, src, s_lms, s_pose in plan:
            t_lms = t_face.landmarks_array().astype(np.float64)
            t_pose = _pose_tuple(t_lms, record.width, record.height) if with_pose else None
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


def _pose_tuple(lms: np.ndarray, width: int, height: int) -> Pose:
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
