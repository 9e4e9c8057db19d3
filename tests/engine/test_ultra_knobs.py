"""FusionUltraParam through FuseFaceUltra's own path: each knob moves the fused picture one way
(WarpRadio: the outline toward the user; EnhanceRadio: sharper; MpRadio: smoother skin;
TeethEnhanceRadio: lighter, less yellow teeth; MakeupTransferRadio: the template's lip colour), and
the model types differ as MODEL_TYPES says."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fusion.engine import Label, ultra
from fusion.engine import geometry as geo
from fusion.engine import meshdata as md
from tests.engine.helpers import distance, pixels


def _canvas(engine, photo, source: bytes, template: str, model_type: int, knobs: ultra.UltraKnobs) -> np.ndarray:
    tmpl = ultra.open_template(photo(template))
    found = ultra.find_faces(engine, tmpl)
    out, _r = ultra.fuse(engine, tmpl, found, [ultra.UltraMapping(source=source)], model_type=model_type,
                         knobs=knobs, label=Label(visible=False))
    return pixels(out)


def _mesh(engine, canvas: np.ndarray) -> np.ndarray:
    return engine.analyse(cv2.imencode(".png", canvas)[1].tobytes())[0].mesh_array()


def _poly(shape, pts, dilate: int = 0) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts[:, :2]).astype(np.int32)], 255)
    if dilate:
        m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * dilate + 1, 2 * dilate + 1)))
    return m > 0


def _detail(canvas: np.ndarray, t_mesh: np.ndarray, *, skin_only: bool) -> float:
    gray = cv2.cvtColor(canvas, cv2.COLOR_BGR2GRAY)
    inside = _poly(gray.shape, t_mesh[md.FACE_OVAL])
    inside = cv2.erode(inside.astype(np.uint8), np.ones((15, 15), np.uint8)) > 0
    if skin_only:
        for loop in (md.LIPS_OUTER, md.RIGHT_EYE, md.LEFT_EYE):
            inside &= ~_poly(gray.shape, t_mesh[loop], dilate=6)
    return float(cv2.Laplacian(gray, cv2.CV_64F)[inside].var())


@pytest.fixture(scope="module")
def long_chin(engine, photo) -> bytes:
    """cruz.jpg stretched 1.4 times downward below the nose: a user whose chin is much longer."""
    img = engine.decode(photo("cruz.jpg")).pixels
    nose_y = int(engine.analyse(photo("cruz.jpg"))[0].mesh_array()[md.NOSE_TIP, 1])
    lower = cv2.resize(img[nose_y:], None, fx=1.0, fy=1.4, interpolation=cv2.INTER_CUBIC)
    return cv2.imencode(".png", np.vstack([img[:nose_y], lower]))[1].tobytes()


def _chin(mesh: np.ndarray) -> float:
    return float(np.linalg.norm(mesh[md.CHIN, :2] - mesh[md.NOSE_TIP, :2])) / geo.inter_ocular(mesh)


@pytest.mark.parametrize("model_type", [1, 4])
def test_warp_radio_moves_the_outline_toward_the_user(engine, photo, long_chin, model_type) -> None:
    chins = [_chin(_mesh(engine, _canvas(engine, photo, long_chin, "obama.jpg", model_type,
                                         ultra.UltraKnobs(warp=w)))) for w in (0.0, 0.5, 1.0)]
    assert chins[0] < chins[1] < chins[2], chins


@pytest.mark.parametrize("model_type", [1, 2])
def test_enhance_radio_sharpens(engine, photo, model_type) -> None:
    t_mesh = ultra.find_faces(engine, ultra.open_template(photo("obama.jpg"))).faces[0].mesh
    detail = [_detail(_canvas(engine, photo, photo("biden.jpg"), "obama.jpg", model_type,
                              ultra.UltraKnobs(enhance=e, smooth=0.0)), t_mesh, skin_only=False)
              for e in (0.0, 0.5, 1.0)]
    assert detail[0] < detail[1] < detail[2], detail


@pytest.mark.parametrize("model_type", [1, 3])
def test_mp_radio_smooths_the_skin(engine, photo, model_type) -> None:
    t_mesh = ultra.find_faces(engine, ultra.open_template(photo("cruz.jpg"))).faces[0].mesh
    detail = [_detail(_canvas(engine, photo, photo("obama.jpg"), "cruz.jpg", model_type,
                              ultra.UltraKnobs(smooth=m)), t_mesh, skin_only=True) for m in (0.0, 0.5, 1.0)]
    assert detail[0] > detail[1] > detail[2], detail


def test_teeth_enhance_radio_lightens_the_teeth(engine, photo) -> None:
    t_mesh = ultra.find_faces(engine, ultra.open_template(photo("obama.jpg"))).faces[0].mesh
    looks = []
    for teeth in (False, True):
        canvas = _canvas(engine, photo, photo("cruz.jpg"), "obama.jpg", 1, ultra.UltraKnobs(teeth=teeth))
        lab = cv2.cvtColor(canvas, cv2.COLOR_BGR2LAB)[_poly(canvas.shape[:2], t_mesh[md.LIPS_INNER])]
        bright = lab[lab[:, 0] > np.percentile(lab[:, 0], 60)].astype(np.float64)
        looks.append((bright[:, 0].mean(), bright[:, 2].mean()))
    (l_off, b_off), (l_on, b_on) = looks
    assert l_on > l_off + 3 and b_on < b_off - 1, looks


def test_makeup_transfer_radio_takes_the_template_lip_colour(engine, photo) -> None:
    tmpl = ultra.open_template(photo("astronaut_collins.png"))
    t_mesh = ultra.find_faces(engine, tmpl).faces[0].mesh
    shape = tmpl.pixels.shape[:2]
    t_lips = _poly(shape, t_mesh[md.LIPS_OUTER]) & ~_poly(shape, t_mesh[md.LIPS_INNER], dilate=2)
    tmpl_ab = cv2.cvtColor(tmpl.bgr, cv2.COLOR_BGR2LAB)[t_lips][:, 1:].astype(np.float64).mean(0)
    gaps = []
    for makeup in (False, True):
        canvas = _canvas(engine, photo, photo("obama2.jpg"), "astronaut_collins.png", 1,
                         ultra.UltraKnobs(makeup=makeup))
        mesh = _mesh(engine, canvas)
        lips = _poly(shape, mesh[md.LIPS_OUTER]) & ~_poly(shape, mesh[md.LIPS_INNER], dilate=2)
        ab = cv2.cvtColor(canvas, cv2.COLOR_BGR2LAB)[lips][:, 1:].astype(np.float64).mean(0)
        gaps.append(float(np.linalg.norm(ab - tmpl_ab)))
    assert gaps[1] < gaps[0] - 1.0, gaps


def test_type_four_follows_the_users_outline_further_than_type_two(engine, photo, long_chin) -> None:
    knobs = ultra.UltraKnobs(warp=0.3)
    two, four = (_chin(_mesh(engine, _canvas(engine, photo, long_chin, "obama.jpg", n, knobs))) for n in (2, 4))
    assert four > two + 0.03, (two, four)


def test_type_one_is_sharper_than_type_two(engine, photo) -> None:
    t_mesh = ultra.find_faces(engine, ultra.open_template(photo("obama.jpg"))).faces[0].mesh
    one, two = (_detail(_canvas(engine, photo, photo("biden.jpg"), "obama.jpg", n, ultra.UltraKnobs()), t_mesh,
                        skin_only=False) for n in (1, 2))
    assert one > two, (one, two)


def test_type_six_brings_the_identity_closest_to_the_user(engine, photo, source_embedding) -> None:
    user = source_embedding("biden.jpg")
    dist = {}
    for n in (2, 6):
        canvas = _canvas(engine, photo, photo("biden.jpg"), "obama.jpg", n, ultra.UltraKnobs(warp=0.0))
        dist[n] = distance(engine.embedding_of(cv2.imencode(".png", canvas)[1].tobytes()), user)
    assert dist[6] < dist[2], dist
