"""FuseFaceUltra's template path (fusion/engine/ultra.py): limits from the header, one decode,
faces found on a downscaled copy or where a rect points, fusion in the faces' regions only,
transparency and orientation kept, and the knobs' and model types' parameters."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from fusion.engine import (
    FaceRectInvalid,
    ImageDecodeFailed,
    ImageResolutionExceed,
    ImageResolutionTooSmall,
    InvalidParameter,
    Label,
    NoFaceDetected,
    TemplateFaceIDNotExist,
    labels,
    read_labels,
    ultra,
)
from tests.engine.helpers import pixels


def _png(img: np.ndarray) -> bytes:
    return cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 1])[1].tobytes()


def _scaled(photo_bytes: bytes, factor: float) -> np.ndarray:
    img = pixels(photo_bytes)
    return cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def _fuse(engine, template: bytes, source: bytes, **kwargs) -> tuple[bytes, list, ultra.UltraTemplate]:
    tmpl = ultra.open_template(template)
    found = ultra.find_faces(engine, tmpl, rects=[m.template_face_rect for m in kwargs.get("mappings", [])
                                                 if m.template_face_rect] or None)
    mappings = kwargs.pop("mappings", None) or [ultra.UltraMapping(source=source)]
    out, regions = ultra.fuse(engine, tmpl, found, mappings, label=kwargs.pop("label", Label(visible=False)),
                              **kwargs)
    return out, regions, tmpl


@pytest.mark.parametrize(("size", "error"), [((8001, 64), ImageResolutionExceed), ((64, 8001), ImageResolutionExceed),
                                             ((63, 400), ImageResolutionTooSmall)])
def test_it_refuses_sizes_from_the_header(size, error) -> None:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(buf, "PNG")
    with pytest.raises(error):
        ultra.open_template(buf.getvalue())


def test_it_refuses_what_is_not_a_jpeg_or_png_and_truncated_files(photo) -> None:
    with pytest.raises(ImageDecodeFailed):
        ultra.open_template(b"GIF89a" + b"\0" * 100)
    with pytest.raises(ImageDecodeFailed):
        ultra.open_template(photo("obama.jpg")[:2000])


def test_it_changes_nothing_outside_the_face_regions_and_the_label(engine, photo) -> None:
    big = _scaled(photo("obama.jpg"), 3.0)  # 2730 x 3411, a face of about 800 px
    out, regions, _t = _fuse(engine, _png(big), photo("cruz.jpg"), label=Label())
    result = pixels(out)
    assert result.shape == big.shape
    changed = np.any(result != big, axis=2)
    inside = np.zeros(changed.shape, bool)
    for x, y, w, h in [*regions, labels.visible_label_box(big.shape[1], big.shape[0])]:
        inside[y : y + h, x : x + w] = True
    assert changed[inside].mean() > 0.2  # the face was fused
    assert not changed[~inside].any()  # and nothing else moved, to the bit


def test_it_fuses_a_face_wider_than_the_work_width_at_full_size(engine, photo) -> None:
    big = _scaled(photo("obama.jpg"), 6.0)  # a face of about 1600 px, fused at 512 px and brought back up
    out, regions, _t = _fuse(engine, cv2.imencode(".jpg", big)[1].tobytes(), photo("cruz.jpg"), model_type=1)
    (_x, _y, w, _h), = regions
    assert w > 1500 and pixels(out).shape == big.shape
    face = ultra.find_faces(engine, ultra.open_template(out)).faces[0]
    assert abs(face.box[2] - 1600) < 300  # still one face of the template's size, where it was


def test_it_keeps_the_alpha_of_a_transparent_png(engine, photo) -> None:
    img = _scaled(photo("obama.jpg"), 1.0)
    alpha = np.full(img.shape[:2], 255, np.uint8)
    alpha[:, :60] = 0  # a transparent strip on the left
    alpha[-40:, :] = 128
    out, _regions, tmpl = _fuse(engine, _png(np.dstack([img, alpha])), photo("cruz.jpg"))
    assert tmpl.has_alpha
    decoded = cv2.imdecode(np.frombuffer(out, np.uint8), cv2.IMREAD_UNCHANGED)
    assert decoded.shape[2] == 4 and np.array_equal(decoded[:, :, 3], alpha)


def test_it_turns_an_exif_rotated_jpeg_upright(engine, photo) -> None:
    upright = Image.open(io.BytesIO(photo("obama.jpg")))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # stored sideways, EXIF says "rotate 90° CW"
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=92, exif=exif.tobytes())
    tmpl = ultra.open_template(buf.getvalue())
    assert (tmpl.width, tmpl.height) == upright.size
    assert len(ultra.find_faces(engine, tmpl).faces) == 1


def test_it_finds_a_face_too_small_for_the_whole_image_where_a_rect_points(engine, photo) -> None:
    # A 6000 x 6000 poster with one face of about 110 px: on the copy detection looks at (a third of
    # the size) it is under 40 px, below what the detector finds. Pointed at with TemplateFaceRect,
    # it is found at full resolution.
    face = _scaled(photo("obama.jpg"), 0.4)  # 364 x 455, the face about 110 px
    poster = np.full((6000, 6000, 3), (70, 110, 150), np.uint8)
    poster[3000 : 3000 + face.shape[0], 2000 : 2000 + face.shape[1]] = face
    data = _png(poster)
    with pytest.raises(NoFaceDetected):
        ultra.find_faces(engine, ultra.open_template(data))
    box = ultra.find_faces(engine, ultra.open_template(_png(face))).faces[0].box
    rect = (2000 + box[0], 3000 + box[1], box[2], box[3])
    out, (region,), _t = _fuse(engine, data, photo("cruz.jpg"),
                               mappings=[ultra.UltraMapping(source=photo("cruz.jpg"), template_face_rect=rect)])
    x, y, w, h = region
    assert x <= rect[0] and y <= rect[1] and x + w >= rect[0] + rect[2] and y + h >= rect[1] + rect[3]
    assert np.any(pixels(out)[rect[1] : rect[1] + rect[3], rect[0] : rect[0] + rect[2]]
                  != poster[rect[1] : rect[1] + rect[3], rect[0] : rect[0] + rect[2]])


def test_it_names_faces_by_area_and_refuses_an_unknown_id_or_a_rect_outside(engine, photo) -> None:
    tmpl = ultra.open_template(photo("two_people.jpg"))
    found = ultra.find_faces(engine, tmpl)
    assert [f.face_id for f in found.faces] == ["face_0", "face_1"]
    assert found.faces[0].area >= found.faces[1].area
    with pytest.raises(TemplateFaceIDNotExist):
        ultra.fuse(engine, tmpl, found, [ultra.UltraMapping(source=photo("cruz.jpg"), template_face_id="face_7")])
    with pytest.raises(FaceRectInvalid):
        ultra.find_faces(engine, tmpl, rects=[(tmpl.width - 10, 0, 50, 50)])


def test_it_writes_the_implicit_label_with_the_request_id(engine, photo) -> None:
    out, _r, _t = _fuse(engine, photo("obama.jpg"), photo("cruz.jpg"),
                        label=Label(visible=False, produce_id="req-123", meta_key="k", meta_value="v"))
    found = read_labels(out)
    assert found["AIGC"]["ProduceID"] == "req-123" and found["MetaData"] == {"k": "v"}


def test_it_gives_the_perceptual_hash_of_the_review_from_its_own_pixels(engine, photo) -> None:
    from fusion.engine import hash_distance, perceptual_hash

    tmpl = ultra.open_template(photo("biden.jpg"))
    found = ultra.find_faces(engine, tmpl)
    assert hash_distance(ultra.perceptual_hash_of(found.small), perceptual_hash(photo("biden.jpg"))) <= 2


def test_model_types_are_one_to_six() -> None:
    assert sorted(ultra.MODEL_TYPES) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(InvalidParameter):
        ultra.ultra_params(7)


def test_each_knob_moves_its_parameter_one_way_for_types_one_to_five() -> None:
    for n in range(1, 6):
        low = ultra.ultra_params(n, ultra.UltraKnobs(warp=0.0, enhance=0.0, smooth=0.0, teeth=False, makeup=False))
        high = ultra.ultra_params(n, ultra.UltraKnobs(warp=1.0, enhance=1.0, smooth=1.0, teeth=True, makeup=True))
        assert low.shape < high.shape and low.enhance < high.enhance and low.smooth < high.smooth, n
        assert (low.teeth, low.makeup, high.teeth, high.makeup) == (False, False, True, True)


def test_type_six_ignores_the_knobs() -> None:
    a = ultra.ultra_params(6, ultra.UltraKnobs(warp=0.0, enhance=0.0, smooth=1.0, teeth=False, makeup=True))
    assert a == ultra.ultra_params(6, ultra.UltraKnobs())
    assert a.shape == 1.0 and a.smooth == 0.0
