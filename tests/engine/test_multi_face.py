"""Several faces fused at once; faces not mapped stay untouched."""

from __future__ import annotations

import numpy as np

from fusion.engine import Engine, FaceMapping, Label
from tests.engine.helpers import distance, pixels, to_png


def test_it_fuses_each_face_with_its_own_source(
    engine: Engine, photo, template_record, source_embedding
) -> None:
    record = template_record("two_people.jpg")
    out = engine.fuse(
        template=photo("two_people.jpg"),
        record=record,
        mappings=[
            FaceMapping(source=photo("obama.jpg"), template_face_id="face_0"),
            FaceMapping(source=photo("cruz.jpg"), template_face_id="face_1"),
        ],
        label=Label(visible=False),
    )
    faces = engine.faces_in(engine.decode(out), thorough=True, with_embeddings=True)
    assert len(faces) == 2
    by_x = {("face_0" if f.box[0] > 500 else "face_1"): f for f in faces}
    assert sorted(by_x) == ["face_0", "face_1"], [f.box for f in faces]
    sources = {"face_0": source_embedding("obama.jpg"), "face_1": source_embedding("cruz.jpg")}
    for face_id, face in by_x.items():
        own = distance(face.embedding, sources[face_id])
        other = distance(face.embedding, sources["face_1" if face_id == "face_0" else "face_0"])
        assert own < other, (face_id, own, other)


def test_it_leaves_an_unmapped_face_pixel_identical(engine: Engine, photo, template_record) -> None:
    png = to_png(photo("two_people.jpg"))
    record = template_record("two_people.jpg", png)
    label = Label(visible=False)
    tmpl, canvas, regions = engine.render(
        template=png,
        record=record,
        mappings=[FaceMapping(source=photo("obama.jpg"), template_face_id="face_0")],
        label=label,
    )
    out = engine.encode_result(tmpl, canvas, label)
    before, after = pixels(png), pixels(out)
    assert np.array_equal(after, canvas)  # what fuse() answers: the rendered pixels, losslessly
    changed = np.abs(before.astype(int) - after.astype(int)).max(-1) > 0
    x, y, w, h = regions[0].roi
    changed[y : y + h, x : x + w] = False
    assert not changed.any()
    fx, fy, fw, fh = record.face("face_1").box
    assert np.array_equal(before[fy : fy + fh, fx : fx + fw], after[fy : fy + fh, fx : fx + fw])


def test_it_takes_the_source_face_at_a_rect(engine: Engine, photo, template_record) -> None:
    record = template_record("obama.jpg")
    group = template_record("two_people.jpg")
    for face_id in ("face_0", "face_1"):
        wanted = group.face(face_id)
        other = group.face("face_1" if face_id == "face_0" else "face_0")
        x, y, w, h = wanted.box
        rect = (x - 10, y - 5, w + 20, h + 15)  # a caller's rect is never exactly the detector's
        out = engine.fuse(
            template=photo("obama.jpg"),
            record=record,
            mappings=[FaceMapping(source=photo("two_people.jpg"), source_face_rect=rect)],
            label=Label(visible=False),
        )
        face = engine.faces_in(engine.decode(out), thorough=False, with_embeddings=True)[0]
        assert distance(face.embedding, wanted.embedding) < distance(face.embedding, other.embedding)


def test_it_fuses_up_to_six_faces(engine: Engine, photo, template_record) -> None:
    record = template_record("two_people.jpg")
    mappings = [FaceMapping(source=photo("obama.jpg"), template_face_id=f"face_{i % 2}") for i in range(6)]
    tmpl, canvas, regions = engine.render(
        template=photo("two_people.jpg"), record=record, mappings=mappings, label=Label(visible=False)
    )
    assert len(regions) == 6  # every mapping was fused, none dropped
    for i, region in enumerate(regions):
        x, y, w, h = region.roi
        fx, fy, fw, fh = record.face(f"face_{i % 2}").box
        assert fx < x + w / 2 < fx + fw and fy < y + h / 2 < fy + fh, (region.roi, (fx, fy, fw, fh))  # its face
        assert float(region.mask.max()) > 0.9
    for face_id in ("face_0", "face_1"):
        fx, fy, fw, fh = record.face(face_id).box
        diff = np.abs(canvas[fy : fy + fh, fx : fx + fw].astype(int) - tmpl.pixels[fy : fy + fh, fx : fx + fw])
        assert diff.mean() > 8, (face_id, diff.mean())
