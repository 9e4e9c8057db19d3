"""Template records stored before the mesh (version 1, 68 points) keep working: the engine
upgrades them on use, keeping the face ids, boxes and embeddings callers rely on."""

from __future__ import annotations

import numpy as np

from fusion.engine import RECORD_VERSION, Engine, FaceMapping, Label, TemplateRecord


def _as_version_1(record: TemplateRecord) -> TemplateRecord:
    """The record as engine v1 stored it: 68 points per face, no depth, version 1."""
    data = record.to_json()
    data["version"] = 1
    for face in data["faces"]:
        face["landmarks"] = face["landmarks"][:68]  # 68 points of the old layout's size
        face.pop("depth")
    return TemplateRecord.from_json(data)


def test_it_upgrades_a_version_1_record_keeping_ids_boxes_and_embeddings(
    engine: Engine, photo, template_record
) -> None:
    current = template_record("two_people.jpg")
    old = _as_version_1(current)
    assert old.version == 1 and old.faces[0].depth is None
    upgraded = engine.upgrade_record(engine.decode(photo("two_people.jpg")), old)
    assert upgraded.version == RECORD_VERSION
    for new, was in zip(upgraded.faces, current.faces, strict=True):
        assert (new.face_id, new.box) == (was.face_id, was.box)
        assert np.allclose(new.embedding, was.embedding, atol=1e-5)  # as stored (6 decimals)
        assert len(new.landmarks) == 468 and new.depth is not None
        assert np.allclose(new.mesh_array(), was.mesh_array(), atol=0.5)
        assert abs(new.yaw - was.yaw) < 1


def test_it_fuses_with_a_version_1_record_as_with_a_current_one(engine: Engine, photo, template_record) -> None:
    current = template_record("two_people.jpg")
    mappings = [FaceMapping(source=photo("obama.jpg"), template_face_id="face_1")]
    label = Label(visible=False)
    a = engine.render(template=photo("two_people.jpg"), record=current, mappings=mappings, label=label)[1]
    b = engine.render(template=photo("two_people.jpg"), record=_as_version_1(current), mappings=mappings,
                      label=label)[1]
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 2
