"""Bad input gets a typed error, never a crash."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile

from fusion.engine import (
    Engine,
    FaceMapping,
    FaceRectInvalid,
    FaceSizeTooSmall,
    ImageDecodeFailed,
    ImagePixelExceed,
    ImageResolutionExceed,
    ImageResolutionTooSmall,
    ImageSizeExceed,
    InvalidParameter,
    NoFaceDetected,
    TemplateFaceIDNotExist,
    TooManyFaces,
)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    idat = zlib.compress(b"\x00" * 64)
    body = struct.pack(">I", len(idat)) + b"IDAT" + idat + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    return b"\x89PNG\r\n\x1a\n" + chunk + body


def _jpeg_with_size(jpeg: bytes, width: int, height: int) -> bytes:
    pos = 2
    while pos < len(jpeg):
        marker = jpeg[pos + 1]
        (length,) = struct.unpack(">H", jpeg[pos + 2 : pos + 4])
        if marker in (0xC0, 0xC2):
            return jpeg[: pos + 5] + struct.pack(">HH", height, width) + jpeg[pos + 9 :]
        pos += 2 + length
    raise AssertionError("no SOF")


def _encode(img: np.ndarray, ext: str = ".jpg") -> bytes:
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


def test_it_refuses_truncated_files(engine: Engine, photo) -> None:
    for name in ("obama.jpg", "astronaut_collins.png"):
        data = photo(name)
        with pytest.raises(ImageDecodeFailed):
            engine.decode(data[: len(data) // 2])
        with pytest.raises(ImageDecodeFailed):
            engine.decode(data[:40])


def _no_pixel_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def load(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels decoded before the header's size was checked")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_it_refuses_a_30000_px_header_before_decoding(
    engine: Engine, photo, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    data = _png_header(30000, 30000) if kind == "png" else _jpeg_with_size(photo("obama.jpg"), 30000, 30000)
    _no_pixel_decoding(monkeypatch)
    with pytest.raises((ImagePixelExceed, ImageResolutionExceed)) as err:
        engine.decode(data)
    assert err.value.code in ("FailedOperation.ImagePixelExceed", "FailedOperation.ImageResolutionExceed")


@pytest.mark.parametrize("kind", ["png", "jpeg"])
def test_it_applies_its_own_limits_before_decoding(
    engine: Engine, photo, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # Below Pillow's own bomb limit: only the engine's limits can refuse these headers.
    def header(width: int, height: int) -> bytes:
        return _png_header(width, height) if kind == "png" else _jpeg_with_size(photo("obama.jpg"), width, height)

    _no_pixel_decoding(monkeypatch)
    with pytest.raises(ImageResolutionExceed):
        engine.decode(header(5000, 1000))
    with pytest.raises(ImagePixelExceed):
        engine.decode(header(3000, 3000), max_pixels=4_000_000)
    with pytest.raises(ImageResolutionTooSmall):
        engine.decode(header(1000, 40))


def test_it_applies_its_limits(engine: Engine, photo) -> None:
    with pytest.raises(ImageSizeExceed) as err:
        engine.decode(photo("obama.jpg"), max_bytes=100_000)
    assert err.value.code == "FailedOperation.ImageSizeExceed"
    with pytest.raises(ImageResolutionExceed):
        engine.decode(photo("biden.jpg"), max_side=2000)
    with pytest.raises(ImagePixelExceed):
        engine.decode(photo("biden.jpg"), max_pixels=1_000_000)
    with pytest.raises(ImageResolutionTooSmall) as small:
        engine.decode(_encode(np.full((40, 200, 3), 128, np.uint8)))
    assert small.value.code == "FailedOperation.ImageResolutionTooSmall"


@pytest.mark.parametrize("kind", ["gif", "webp", "bmp", "svg", "html", "empty", "garbage"])
def test_it_accepts_only_jpeg_and_png_by_content(engine: Engine, kind: str) -> None:
    img = Image.new("RGB", (128, 128), (200, 100, 50))
    buf = io.BytesIO()
    if kind in ("gif", "webp", "bmp"):
        img.save(buf, kind.upper())
        data = buf.getvalue()
    else:
        data = {
            "svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"/>',
            "html": b"<!doctype html><html><body>hi</body></html>",
            "empty": b"",
            "garbage": b"\xff\xd8\xff" + b"\x00" * 100,
        }[kind]
    with pytest.raises(ImageDecodeFailed) as err:
        engine.decode(data)
    assert err.value.code == "FailedOperation.ImageDecodeFailed"
    assert err.value.message_zh and err.value.message_en


def test_it_applies_exif_orientation(engine: Engine) -> None:
    img = Image.new("RGB", (200, 100), (10, 20, 30))
    img.paste((250, 0, 0), (0, 0, 20, 20))  # a red corner, top left as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=95)
    decoded = engine.decode(buf.getvalue())
    assert (decoded.width, decoded.height) == (100, 200)
    assert decoded.pixels.shape[:2] == (200, 100)
    assert decoded.pixels[5, 95, 2] > 200  # red (BGR) now at the top right
    assert decoded.pixels[5, 5, 2] < 50 and decoded.pixels[195, 5, 2] < 50  # and nowhere else


def test_it_says_when_there_is_no_face(engine: Engine) -> None:
    rng = np.random.default_rng(3)
    landscape = cv2.GaussianBlur(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8), (0, 0), 4)
    with pytest.raises(NoFaceDetected) as err:
        engine.analyse(_encode(landscape))
    assert err.value.code == "FailedOperation.NoFaceDetected"


def test_it_says_when_the_face_is_too_small(engine: Engine, photo) -> None:
    img = engine.decode(photo("obama.jpg")).pixels
    s = 22 / 269  # the face becomes ~22 px
    small = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    canvas = np.full((160, 160, 3), 235, np.uint8)
    canvas[40 : 40 + small.shape[0], 50 : 50 + small.shape[1]] = small
    with pytest.raises(FaceSizeTooSmall) as err:
        engine.analyse(_encode(canvas, ".png"))
    assert err.value.code == "FailedOperation.FaceSizeTooSmall"


def test_it_finds_a_face_of_40_px(engine: Engine, photo) -> None:
    img = engine.decode(photo("obama.jpg")).pixels
    s = 42 / 269
    small = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    faces = engine.analyse(_encode(small, ".png"))
    assert len(faces) == 1
    assert 34 <= faces[0].box[2] <= 52 and 34 <= faces[0].box[3] <= 52, faces[0].box


def test_it_refuses_bad_mappings(engine: Engine, photo, template_record) -> None:
    tpl = photo("two_people.jpg")
    record = template_record("two_people.jpg")
    src = photo("obama.jpg")
    with pytest.raises(TemplateFaceIDNotExist) as err:
        engine.fuse(
            template=tpl, record=record, mappings=[FaceMapping(source=src, template_face_id="face_7")]
        )
    assert err.value.code == "FailedOperation.TemplateFaceIDNotExist"
    with pytest.raises(TooManyFaces):
        engine.fuse(template=tpl, record=record, mappings=[FaceMapping(source=src)] * 7)
    with pytest.raises(InvalidParameter):
        engine.fuse(template=tpl, record=record, mappings=[])
    with pytest.raises(FaceRectInvalid):  # no template face overlaps the rect
        engine.fuse(
            template=tpl,
            record=record,
            mappings=[FaceMapping(source=src, template_face_rect=(500, 500, 100, 100))],
        )
    with pytest.raises(FaceRectInvalid) as rect:
        engine.fuse(
            template=tpl,
            record=record,
            mappings=[FaceMapping(source=src, source_face_rect=(900, 1100, 300, 300))],
        )
    assert rect.value.code == "InvalidParameterValue.FaceRectParameterValueError"
    with pytest.raises(NoFaceDetected):
        blank = _encode(np.full((300, 300, 3), 120, np.uint8))
        engine.fuse(template=tpl, record=record, mappings=[FaceMapping(source=blank)])
    with pytest.raises(ImageDecodeFailed):
        engine.fuse(template=tpl, record=record, mappings=[FaceMapping(source=b"GIF89a....")])
    with pytest.raises(InvalidParameter) as param:
        engine.fuse(template=tpl, record=record, mappings=[FaceMapping(source=src)], version="deluxe")
    assert param.value.code == "InvalidParameterValue.ParameterValueError"
    for degree in (-1, 101):
        with pytest.raises(InvalidParameter):
            engine.fuse(template=tpl, record=record, mappings=[FaceMapping(source=src)], face_degree=degree)
