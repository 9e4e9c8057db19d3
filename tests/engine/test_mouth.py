"""The mouth's interior is always the template's: never the template's teeth through the user's
lips, nor the user's teeth in a mouth the template keeps shut."""

from __future__ import annotations

import cv2
import numpy as np

from fusion.engine import Engine, FaceMapping, Label
from fusion.engine import meshdata as md


def _teeth(bgr: np.ndarray) -> np.ndarray:
    """Bright, nearly grey pixels: teeth (lips and skin are darker or redder)."""
    lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB).astype(np.int16)
    return (lab[:, :, 0] > 165) & (np.abs(lab[:, :, 1] - 128) < 12) & (np.abs(lab[:, :, 2] - 128) < 22)


def _poly(shape: tuple[int, int], pts: np.ndarray, grow: int = 0) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts[:, :2]).astype(np.int32)], 255)
    if grow:
        m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    return m > 0


def test_it_shows_no_user_teeth_in_a_shut_template_mouth(engine: Engine, photo, template_record) -> None:
    # obama2.jpg talks with his teeth showing; biden.jpg keeps his mouth shut.
    src = engine.decode(photo("obama2.jpg")).pixels
    s_mesh = engine.analyse(photo("obama2.jpg"))[0].mesh_array()
    assert _teeth(src)[_poly(src.shape[:2], s_mesh[md.LIPS_OUTER])].sum() > 300
    record = template_record("biden.jpg")
    _t, canvas, _r = engine.render(
        template=photo("biden.jpg"), record=record, mappings=[FaceMapping(source=photo("obama2.jpg"))],
        label=Label(visible=False),
    )
    mesh = engine.analyse(cv2.imencode(".png", canvas)[1].tobytes())[0].mesh_array()
    mouth = _poly(canvas.shape[:2], mesh[md.LIPS_OUTER], grow=4)
    assert _teeth(canvas)[mouth].sum() < 20


def test_it_shows_the_template_teeth_only_in_the_mouth_opening(engine: Engine, photo, template_record) -> None:
    # obama.jpg smiles with his teeth showing; biden.jpg's mouth is shut.
    record = template_record("obama.jpg")
    t_mesh = record.face(None).mesh_array()
    tmpl = engine.decode(photo("obama.jpg")).pixels
    _t, canvas, _r = engine.render(
        template=photo("obama.jpg"), record=record, mappings=[FaceMapping(source=photo("biden.jpg"))],
        label=Label(visible=False),
    )
    near_mouth = _poly(canvas.shape[:2], t_mesh[md.LIPS_OUTER], grow=25)
    teeth = _teeth(canvas) & near_mouth
    assert teeth.sum() > 0.5 * (_teeth(tmpl) & near_mouth).sum()  # the template's smile shows
    # ... between the fused lips, not on them.
    mesh = engine.analyse(cv2.imencode(".png", canvas)[1].tobytes())[0].mesh_array()
    lips = _poly(canvas.shape[:2], mesh[md.LIPS_OUTER]) & ~_poly(canvas.shape[:2], mesh[md.LIPS_INNER], grow=3)
    assert (teeth & lips).sum() < 0.03 * teeth.sum(), ((teeth & lips).sum(), teeth.sum())
