"""FuseOptions: each knob moves the result one way (FuseFaceUltra's FusionUltraParam maps onto them)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fusion.engine import Engine, FaceMapping, FuseOptions, Label
from fusion.engine import geometry as geo
from fusion.engine import meshdata as md


def _render(engine: Engine, photo, template_record, source: str, template: str, options: FuseOptions) -> np.ndarray:
    _t, canvas, _r = engine.render(
        template=photo(template),
        record=template_record(template),
        mappings=[FaceMapping(source=photo(source))],
        label=Label(visible=False),
        options=options,
    )
    return canvas


def _poly(shape: tuple[int, int], pts: np.ndarray, dilate: int = 0) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts[:, :2]).astype(np.int32)], 255)
    if dilate:
        m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1)))
    return m > 0


def _chin_length(mesh: np.ndarray) -> float:
    return float(np.linalg.norm(mesh[md.CHIN, :2] - mesh[md.NOSE_TIP, :2])) / geo.inter_ocular(mesh)


def test_it_moves_the_outline_toward_the_user_as_warp_rises(engine: Engine, photo, template_record) -> None:
    # A user with a much longer chin than the template's: cruz.jpg stretched 1.4 times downward
    # below the nose (a geometric transform).
    img = engine.decode(photo("cruz.jpg")).pixels
    nose_y = int(engine.analyse(photo("cruz.jpg"))[0].mesh_array()[md.NOSE_TIP, 1])
    lower = cv2.resize(img[nose_y:], None, fx=1.0, fy=1.4, interpolation=cv2.INTER_CUBIC)
    long_chin = cv2.imencode(".png", np.vstack([img[:nose_y], lower]))[1].tobytes()
    record = template_record("obama.jpg")
    chins = []
    for warp in (0.0, 0.5, 1.0):
        _t, canvas, _r = engine.render(template=photo("obama.jpg"), record=record,
                                       mappings=[FaceMapping(source=long_chin)], label=Label(visible=False),
                                       options=FuseOptions(warp=warp))
        chins.append(_chin_length(engine.analyse(cv2.imencode(".png", canvas)[1].tobytes())[0].mesh_array()))
    assert chins[0] < chins[1] < chins[2], chins
    assert chins[2] - chins[0] > 0.05  # inter-ocular distances: about 5 px on this face


def _face_detail(engine: Engine, canvas: np.ndarray, t_mesh: np.ndarray, skin_only: bool) -> float:
    gray = cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY)
    inside = _poly(gray.shape, t_mesh[md.FACE_OVAL])
    inside = cv2.erode(inside.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    if skin_only:
        for loop in (md.LIPS_OUTER, md.RIGHT_EYE, md.LEFT_EYE):
            inside &= ~_poly(gray.shape, t_mesh[loop], dilate=6)
    return float(cv2.Laplacian(gray, cv2.CV_64F)[inside].var())


def test_it_sharpens_as_enhance_rises(engine: Engine, photo, template_record) -> None:
    t_mesh = template_record("obama.jpg").face(None).mesh_array()
    detail = [
        _face_detail(engine, _render(engine, photo, template_record, "biden.jpg", "obama.jpg",
                                     FuseOptions(enhance=e)), t_mesh, skin_only=False)
        for e in (0.0, 0.5, 1.0)
    ]
    assert detail[0] < detail[1] < detail[2], detail
    assert detail[2] > 1.5 * detail[0]


def test_it_smooths_the_skin_as_smooth_rises(engine: Engine, photo, template_record) -> None:
    t_mesh = template_record("cruz.jpg").face(None).mesh_array()
    detail = [
        _face_detail(engine, _render(engine, photo, template_record, "obama.jpg", "cruz.jpg",
                                     FuseOptions(smooth=s)), t_mesh, skin_only=True)
        for s in (0.0, 0.5, 1.0)
    ]
    assert detail[0] > detail[1] > detail[2], detail
    assert detail[2] < 0.7 * detail[0]


def test_it_whitens_the_teeth_when_asked(engine: Engine, photo, template_record) -> None:
    # obama.jpg smiles with his teeth showing: the fused mouth shows them.
    t_mesh = template_record("obama.jpg").face(None).mesh_array()
    mouth = _poly((1137, 910), t_mesh[md.LIPS_INNER])
    looks = []
    for teeth in (False, True):
        lab = cv2.cvtColor(
            _render(engine, photo, template_record, "cruz.jpg", "obama.jpg", FuseOptions(teeth=teeth)),
            cv2.COLOR_BGR2LAB,
        )[mouth].astype(np.float64)
        bright = lab[lab[:, 0] > np.percentile(lab[:, 0], 60)]
        looks.append((bright[:, 0].mean(), bright[:, 2].mean()))
    (l_off, b_off), (l_on, b_on) = looks
    assert l_on > l_off + 3 and b_on < b_off - 1, looks  # lighter and less yellow


def test_it_takes_the_template_lip_colour_with_makeup(engine: Engine, photo, template_record) -> None:
    # The astronaut's pink lips onto a fused face from obama2.jpg, whose lips are darker and browner.
    t_mesh = template_record("astronaut_collins.png").face(None).mesh_array()
    shape = (512, 512)
    t_lips = _poly(shape, t_mesh[md.LIPS_OUTER]) & ~_poly(shape, t_mesh[md.LIPS_INNER], dilate=2)
    t_lab = cv2.cvtColor(engine.decode(photo("astronaut_collins.png")).pixels, cv2.COLOR_BGR2LAB)
    tmpl_ab = t_lab[t_lips][:, 1:].astype(np.float64).mean(0)
    gaps = []
    for makeup in (False, True):
        canvas = _render(engine, photo, template_record, "obama2.jpg", "astronaut_collins.png",
                         FuseOptions(makeup=makeup))
        mesh = engine.analyse(cv2.imencode(".png", canvas)[1].tobytes())[0].mesh_array()
        lips = _poly(shape, mesh[md.LIPS_OUTER]) & ~_poly(shape, mesh[md.LIPS_INNER], dilate=2)
        ab = cv2.cvtColor(canvas, cv2.COLOR_BGR2LAB)[lips][:, 1:].astype(np.float64).mean(0)
        gaps.append(float(np.linalg.norm(ab - tmpl_ab)))
    assert gaps[1] < gaps[0] - 1.0, gaps


@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_it_clamps_knobs_to_their_range(engine: Engine, photo, template_record, value: float) -> None:
    # Out-of-range values act as the nearest end (the API validates them before they get here).
    a = _render(engine, photo, template_record, "cruz.jpg", "obama.jpg", FuseOptions(enhance=value))
    b = _render(engine, photo, template_record, "cruz.jpg", "obama.jpg", FuseOptions(enhance=min(1.0, max(0.0, value))))
    assert np.array_equal(a, b)
