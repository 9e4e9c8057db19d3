"""Analysis of the real corpus: faces, boxes, ids, pose, embeddings, template records."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from fusion.engine import RECORD_VERSION, Engine, TemplateRecord
from tests.engine.helpers import distance, pixels

# CORPUS.md: (left, top, side) of every face dlib finds with upsample 1, largest first.
CORPUS = {
    "astronaut_collins.png": [(175, 76, 91)],
    "obama.jpg": [(349, 142, 269)],
    "obama2.jpg": [(171, 290, 268)],
    "biden.jpg": [(419, 241, 322)],
    "two_people.jpg": [(778, 57, 187), (253, 47, 156)],
    "cruz.jpg": [(76, 204, 386)],
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_it_finds_the_faces_the_corpus_lists(engine: Engine, template_record, name: str) -> None:
    record = template_record(name)
    expected = CORPUS[name]
    assert len(record.faces) == len(expected), [f.box for f in record.faces]
    for face, (left, top, side) in zip(record.faces, expected, strict=True):
        x, y, w, h = face.box
        tol = 0.12 * side
        assert abs(x - left) <= tol and abs(y - top) <= tol, (face.box, (left, top, side))
        assert abs(w - side) <= tol and abs(h - side) <= tol
        assert face.score > 0.35
        assert len(face.landmarks) == 468 and face.depth is not None and len(face.depth) == 468
        assert face.embedding is not None and len(face.embedding) == 128
        # All corpus photos are near-frontal (none is a side face by the 30 degree rule).
        assert abs(face.yaw) < 30 and abs(face.pitch) < 30 and abs(face.roll) < 30


def test_it_filters_the_astronaut_suit_out(engine: Engine, photo) -> None:
    faces = engine.analyse(photo("astronaut_collins.png"))
    assert [f.face_id for f in faces] == ["face_0"]
    assert faces[0].box[1] < 150  # the face, not the suit at y > 300


def test_it_numbers_faces_largest_first(template_record) -> None:
    record = template_record("two_people.jpg")
    assert [f.face_id for f in record.faces] == ["face_0", "face_1"]
    assert record.faces[0].area > record.faces[1].area
    assert record.face(None) is record.faces[0]
    assert record.face("face_1") is record.faces[1]
    assert record.face("face_9") is None


def test_it_finds_the_fast_path_face_like_the_thorough_one(engine: Engine, photo) -> None:
    img = engine.decode(photo("obama.jpg"))
    fast = engine.faces_in(img, thorough=False)
    slow = engine.faces_in(img, thorough=True)
    assert len(fast) == len(slow) == 1
    err = max(
        abs(a - b) for p, q in zip(fast[0].landmarks, slow[0].landmarks, strict=True) for a, b in zip(p, q)
    )
    assert err < 0.06 * slow[0].box[2]


def test_it_turns_yaw_and_roll_with_the_picture(engine: Engine, photo) -> None:
    img = engine.decode(photo("cruz.jpg"))
    face = engine.faces_in(img, thorough=False)[0]
    flipped = img.pixels[:, ::-1].copy()
    _ok, buf = cv2.imencode(".png", flipped)
    mirror = engine.analyse(buf.tobytes(), thorough=False)[0]
    assert face.yaw * mirror.yaw < 0 or abs(face.yaw) < 3
    assert abs(face.yaw + mirror.yaw) < 5
    h, w = img.pixels.shape[:2]
    rot = cv2.warpAffine(img.pixels, cv2.getRotationMatrix2D((w / 2, h / 2), -15, 1.0), (w, h))
    _ok, buf = cv2.imencode(".png", rot)
    tilted = engine.analyse(buf.tobytes(), thorough=False)[0]
    assert 8 < tilted.roll - face.roll < 22


def test_it_tells_people_apart_by_embedding(source_embedding) -> None:
    assert distance(source_embedding("obama.jpg"), source_embedding("obama2.jpg")) < 0.5
    assert distance(source_embedding("biden.jpg"), source_embedding("two_people.jpg")) < 0.3
    assert distance(source_embedding("obama.jpg"), source_embedding("cruz.jpg")) > 0.6


def test_it_round_trips_a_template_record_through_json(template_record) -> None:
    import json

    record = template_record("two_people.jpg")
    again = TemplateRecord.from_json(json.loads(json.dumps(record.to_json())))
    assert (again.width, again.height, again.format) == (1126, 661, "JPEG")
    assert [f.face_id for f in again.faces] == ["face_0", "face_1"]
    assert again.faces[0].box == record.faces[0].box
    assert abs(again.faces[1].landmarks[30][0] - record.faces[1].landmarks[30][0]) < 0.01
    assert again.version == record.version == RECORD_VERSION
    assert np.allclose(again.faces[0].mesh_array(), record.faces[0].mesh_array(), atol=0.01)


def test_it_keeps_the_template_format(template_record, photo) -> None:
    png, jpeg = template_record("astronaut_collins.png"), template_record("obama.jpg")
    assert (png.format, png.width, png.height) == ("PNG", 512, 512)
    assert (jpeg.format, jpeg.width, jpeg.height) == ("JPEG", 910, 1137)
    assert pixels(photo("obama.jpg")).shape[:2] == (jpeg.height, jpeg.width)
