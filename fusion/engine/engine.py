"""The engine: decode → detect → mesh → pose → fuse → label → encode."""

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
from fusion.engine.facestack import DefaultFaceStack, Detection, FaceStack, _iou
from fusion.engine.fuse import VERSIONS, FusedRegion, fuse_face, params_for
from fusion.engine.types import (
    RECORD_VERSION,
    DecodedImage,
    Face,
    FaceMapping,
    FuseOptions,
    Label,
    Rect,
    TemplateRecord,
)

MAX_MAPPINGS = 6
MIN_FACE_SIDE = 34
# Below this the mesh model says the crop holds no face (real faces score > 0.99, the corpus's
# backgrounds < 0.01): a detection it rejects is dropped.
MIN_PRESENCE = 0.5


class Engine:
    """Holds the loaded face stack; safe to share between threads."""

    def __init__(self, stack: FaceStack | None = None, *, template_cache: int = 8) -> None:
        self.stack: FaceStack = stack if stack is not None else DefaultFaceStack()
        # A worker fuses into the same few campaign templates over and over: keep their decoded
        # pixels (keyed by content) instead of decoding a 1080 px PNG on every request, and the
        # version-2 records of templates whose stored record is older.
        self._templates: OrderedDict[bytes, DecodedImage] = OrderedDict()
        self._upgraded: OrderedDict[tuple[bytes, str], TemplateRecord] = OrderedDict()
        self._templates_max = template_cache
        self._templates_lock = threading.Lock()

    def _decode_template(self, data: bytes) -> tuple[bytes, DecodedImage]:
        key = hashlib.blake2b(data, digest_size=16).digest()
        with self._templates_lock:
            img = self._templates.get(key)
            if img is not None:
                self._templates.move_to_end(key)
                return key, img
        img = self.decode(data)
        img.pixels.setflags(write=False)
        with self._templates_lock:
            self._templates[key] = img
            while len(self._templates) > self._templates_max:
                self._templates.popitem(last=False)
        return key, img

    def _current_record(self, key: bytes, img: DecodedImage, record: TemplateRecord) -> TemplateRecord:
        if record.version >= RECORD_VERSION:
            return record
        # Keyed by the image and the stored record, so an edited record is upgraded again.
        rkey = (key, hashlib.blake2b(repr(record.to_json()).encode(), digest_size=16).hexdigest())
        with self._templates_lock:
            done = self._upgraded.get(rkey)
        if done is None:
            done = self.upgrade_record(img, record)
            with self._templates_lock:
                self._upgraded[rkey] = done
                while len(self._upgraded) > self._templates_max:
                    self._upgraded.popitem(last=False)
        return done

    def upgrade_record(self, img: DecodedImage, record: TemplateRecord) -> TemplateRecord:
        """A version-1 record (68 points) as version 2: each face's mesh and pose from its stored
        box. The face ids, boxes, scores and embeddings stay, so callers' FaceIds keep working."""
        faces = []
        for f in record.faces:
            mesh, _presence = self.stack.mesh(img.pixels, f.box)
            yaw, pitch, roll = geo.mesh_pose(mesh)
            faces.append(
                Face(
                    face_id=f.face_id,
                    box=f.box,
                    score=f.score,
                    landmarks=[(float(x), float(y)) for x, y in mesh[:, :2]],
                    yaw=yaw,
                    pitch=pitch,
                    roll=roll,
                    embedding=f.embedding,
                    depth=[float(z) for z in mesh[:, 2]],
                )
            )
        return TemplateRecord(
            width=record.width, height=record.height, format=record.format, faces=faces, extra=dict(record.extra)
        )

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
        found: list[tuple[Detection, np.ndarray]] = []
        for d in big:
            mesh, presence = self.stack.mesh(img.pixels, d.box)
            if presence >= MIN_PRESENCE:
                found.append((d, mesh))
        if not found:
            raise NoFaceDetected("the face mesh model found no face in the detections")
        return [self._face(f"face_{i}", d, mesh, rgb) for i, (d, mesh) in enumerate(found)]

    def _face(self, face_id: str, d: Detection, mesh: np.ndarray, rgb: np.ndarray | None) -> Face:
        yaw, pitch, roll = geo.mesh_pose(mesh)
        emb = None if rgb is None else [float(v) for v in self.stack.embedding(rgb, d.box)]
        return Face(
            face_id=face_id,
            box=d.box,
            score=float(d.score),
            landmarks=[(float(x), float(y)) for x, y in mesh[:, :2]],
            yaw=yaw,
            pitch=pitch,
            roll=roll,
            embedding=emb,
            depth=[float(z) for z in mesh[:, 2]],
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
        gray = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2GRAY)
        box = self._detections(gray, thorough=False)[0].box
        rgb = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2RGB)
        return [float(v) for v in self.stack.embedding(rgb, box)]

    def _source_mesh(self, img: DecodedImage, rect: Rect | None) -> np.ndarray:
        """The user's face's mesh (468 x, y, z): the face at rect when given, else the largest.
        Only that one face gets a mesh; fusion needs no Face record (ids, pose angles) for it."""
        if rect is None:
            gray = cv2.cvtColor(img.pixels, cv2.COLOR_BGR2GRAY)
            for d in self._detections(gray, thorough=False):
                mesh, presence = self.stack.mesh(img.pixels, d.box)
                if presence >= MIN_PRESENCE:
                    return mesh
            raise NoFaceDetected("the face mesh model found no face in the detections")
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
        mesh, presence = self.stack.mesh(img.pixels, box)
        if presence < MIN_PRESENCE:
            raise NoFaceDetected(f"no face at rect {rect}")
        return mesh

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
        options: FuseOptions | None = None,
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
            options=options,
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
        options: FuseOptions | None = None,
    ) -> tuple[DecodedImage, np.ndarray, list[FusedRegion]]:
        """The fused pixels (BGR, visible label drawn) before encoding, with where each face was
        blended (for tests and the benchmark). `options` tunes the version's defaults (FuseOptions)."""
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
        key, tmpl = self._decode_template(template)
        if (tmpl.width, tmpl.height) != (record.width, record.height):
            raise EngineError("template record does not match the template image")
        params = params_for(version, face_degree, profile_degree, options)
        record = self._current_record(key, tmpl, record)

        # Resolve everything before drawing anything, so a bad mapping fails the whole request.
        # A photo given for several faces is decoded, and its face found, once.
        plan: list[tuple[Face, DecodedImage, np.ndarray]] = []
        sources: dict[int, DecodedImage] = {}
        user_faces: dict[tuple[int, tuple[int, ...] | None], np.ndarray] = {}
        for m in mappings:
            t_face = self._template_face(record, m)
            src = sources.get(id(m.source))
            if src is None:
                src = sources[id(m.source)] = self.decode(m.source)
            rect = None if m.source_face_rect is None else tuple(m.source_face_rect)  # hashable even if a list
            face_key = (id(m.source), rect)
            if face_key not in user_faces:
                user_faces[face_key] = self._source_mesh(src, m.source_face_rect)
            plan.append((t_face, src, user_faces[face_key]))

        canvas = tmpl.pixels.copy()
        regions = [fuse_face(canvas, t.mesh_array(), src.pixels, s_mesh, params) for t, src, s_mesh in plan]

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
        rect = m.template_face_rect
        if rect is not None:
            best = max(record.faces, key=lambda f: _iou(f.box, rect), default=None)
            if best is None or _iou(best.box, rect) < 0.2:
                raise FaceRectInvalid(f"no template face at {rect}")
            return best
        face = record.face(None)
        if face is None:
            raise NoFaceDetected("template has no face")
        return face


_engine: Engine | None = None
_engine_lock = threading.Lock()


def set_engine_threads(threads: int) -> None:
    """How many threads OpenCV's parallel loops (the landmark network, warps, blends) may use in this
    process. Call before the first fuse: a pool of worker processes, one per core, wants 1."""
    cv2.setNumThreads(threads)


def get_engine() -> Engine:
    """The process-wide warm engine: the models load once, on first use."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = Engine()
    return _engine
