"""Engine v1 for the bench's "before" column: today's method as of commit 5b3cb0b, fed with 68
points mapped from the MediaPipe mesh (dlib's 68-point model, which v1 used, is never loaded).

Everything around the per-face fusion is v2's: decoding, detection, the mesh, labels and
encoding, so the two columns differ only in the fusion method.
"""

from __future__ import annotations

import numpy as np

from bench.v1 import geometry as geo
from bench.v1.fuse import fuse_face, params_for, target_landmarks
from fusion.engine import Engine, FaceMapping, Label, imageio, labels

# iBUG's 68 points as MediaPipe mesh indices (an average where one point falls between two).
MESH_TO_68: list[tuple[int, ...]] = [
    # jaw, the image's left to right
    (127,), (234,), (93,), (132, 58), (58, 172), (136,), (150,), (176,), (152,),
    (400,), (379,), (365,), (397, 288), (288, 361), (323,), (454,), (356,),
    # brows
    (70,), (63,), (105,), (66,), (107,), (336,), (296,), (334,), (293,), (300,),
    # nose bridge and base
    (168,), (197,), (5,), (4,), (98,), (97,), (2,), (326,), (327,),
    # eyes
    (33,), (160,), (158,), (133,), (153,), (144,), (362,), (385,), (387,), (263,), (373,), (380,),
    # outer lips
    (61,), (40,), (37,), (0,), (267,), (270,), (291,), (321,), (314,), (17,), (84,), (91,),
    # inner lips
    (78,), (81,), (13,), (311,), (308,), (402,), (14,), (178,),
]


def landmarks68(mesh: np.ndarray) -> np.ndarray:
    pts = np.asarray(mesh, dtype=np.float64)[:, :2]
    return np.array([pts[list(idx)].mean(0) for idx in MESH_TO_68], dtype=np.float64)


def _pose(lms: np.ndarray, width: int, height: int):
    rvec, tvec = geo.solve_pose(lms, width, height)
    return rvec, tvec, lms[27:36].mean(0), (width, height)


def fuse_v1(
    engine: Engine,
    *,
    template: bytes,
    record,
    mappings: list[FaceMapping],
    version: str = "faceswap",
    face_degree: int | None = None,
    profile_degree: int | None = None,
    label: Label | None = None,
) -> tuple[bytes, np.ndarray]:
    """v1's fuse(): the encoded result and its pixels."""
    label = Label() if label is None else label
    _key, tmpl = engine._decode_template(template)  # cached, as v1's engine cached it
    params = params_for(version, face_degree, profile_degree)
    canvas = tmpl.pixels.copy()
    for m in mappings:
        t_face = engine._template_face(record, m)
        src = engine.decode(m.source)
        s_lms = landmarks68(engine._source_mesh(src, m.source_face_rect))
        t_lms = landmarks68(t_face.mesh_array())
        with_pose = params.pose_correct > 0
        s_pose = _pose(s_lms, src.width, src.height) if with_pose else None
        t_pose = _pose(t_lms, tmpl.width, tmpl.height) if with_pose else None
        target = target_landmarks(t_lms, s_lms, params, t_pose=t_pose, s_pose=s_pose)
        fuse_face(canvas, t_lms, src.pixels, s_lms, params, target=target)
    if label.logo is not None:
        labels.draw_logo(canvas, label.logo, label.logo_rect)
    elif label.visible:
        labels.draw_visible(canvas)
    data = imageio.encode(canvas, tmpl.format, alpha=tmpl.alpha)
    return labels.embed_xmp(data, tmpl.format, labels.xmp_packet(label)), canvas
