"""Visible and implicit AIGC labels, the CLI and perceptual hashes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFont

from fusion.engine import Engine, FaceMapping, Label, hash_distance, perceptual_hash, read_labels
from fusion.engine.cli import main as cli
from fusion.engine.labels import FONT_PATH, VISIBLE_TEXT, visible_label_box
from tests.engine.helpers import pixels, to_png


def _fuse(engine: Engine, photo, template_record, label: Label, template: bytes | None = None) -> bytes:
    template = template or to_png(photo("obama.jpg"))
    record = template_record("obama.jpg", template)
    return engine.fuse(
        template=template, record=record, mappings=[FaceMapping(source=photo("cruz.jpg"))], label=label
    )


def test_it_writes_the_aigc_label_and_the_callers_metadata(engine: Engine, photo, template_record) -> None:
    for template in (photo("obama.jpg"), to_png(photo("obama.jpg"))):
        out = _fuse(
            engine,
            photo,
            template_record,
            Label(produce_id="req-123", propagator="Acme", meta_key="campaign", meta_value="春节 <&\"'>"),
            template,
        )
        labels = read_labels(out)
        assert labels["AIGC"] == {
            "Label": "1",
            "ContentProducer": "Ronghe",
            "ProduceID": "req-123",
            "ReservedCode1": "",
            "ContentPropagator": "Acme",
            "PropagateID": "req-123",
            "ReservedCode2": "",
        }
        assert labels["MetaData"] == {"campaign": "春节 <&\"'>"}
        Image.open(io.BytesIO(out)).load()  # still a valid image for ordinary readers


def test_it_draws_the_visible_label_bottom_right(engine: Engine, photo, template_record) -> None:
    template = to_png(photo("obama.jpg"))
    on = pixels(_fuse(engine, photo, template_record, Label(), template))
    off = pixels(_fuse(engine, photo, template_record, Label(visible=False), template))
    before = pixels(template)
    height, width = before.shape[:2]
    x, y, w, h = visible_label_box(width, height)
    # In the corner, a small margin (about half the label's text height) from both edges.
    assert 0 < width - (x + w) <= 0.02 * min(width, height) and 0 < height - (y + h) <= 0.02 * min(width, height)
    assert x > width / 2 and y > 0.8 * height
    box = (slice(y, y + h), slice(x, x + w))
    assert np.abs(on[box].astype(int) - before[box].astype(int)).mean() > 20
    assert np.array_equal(off[box], before[box])
    elsewhere = np.ones(on.shape[:2], bool)
    elsewhere[box] = False
    assert np.array_equal(on[elsewhere], off[elsewhere])  # the label changes nothing but its box
    # White glyphs on a darkened plate: legible on light and dark templates alike.
    assert (on[box].min(-1) > 230).sum() > 50


def test_it_has_every_label_glyph_in_its_font() -> None:
    font = ImageFont.truetype(str(FONT_PATH), 32)
    tofu = font.getmask("\uffff").getbbox()
    for ch in set(VISIBLE_TEXT):
        mask = font.getmask(ch)
        assert mask.getbbox() is not None and (ch.isascii() or mask.getbbox() != tofu), ch
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(FONT_PATH)).getBestCmap()
    assert all(ord(ch) in cmap for ch in VISIBLE_TEXT)


def test_it_draws_the_callers_logo_instead(engine: Engine, photo, template_record) -> None:
    logo = io.BytesIO()
    Image.new("RGBA", (40, 20), (0, 255, 0, 255)).save(logo, "PNG")
    template = to_png(photo("obama.jpg"))
    out = pixels(
        _fuse(
            engine, photo, template_record, Label(logo=logo.getvalue(), logo_rect=(10, 20, 80, 40)), template
        )
    )
    assert (out[20:60, 10:90] == [0, 255, 0]).all()
    h, w = out.shape[:2]
    x, y, bw, bh = visible_label_box(w, h)
    assert np.array_equal(out[y : y + bh, x : x + bw], pixels(template)[y : y + bh, x : x + bw])


def test_it_reads_no_label_from_an_ordinary_photo(photo) -> None:
    assert read_labels(photo("obama.jpg")) == {}
    assert read_labels(photo("astronaut_collins.png")) == {}
    assert read_labels(b"not an image") == {}


def test_it_runs_the_cli(tmp_path: Path, faces_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["analyse", str(faces_dir / "two_people.jpg"), "--compact"]) == 0
    faces = json.loads(capsys.readouterr().out)["faces"]
    assert [f["face_id"] for f in faces] == ["face_0", "face_1"] and len(faces[0]["landmarks"]) == 468

    tpl = tmp_path / "t.png"
    tpl.write_bytes(to_png((faces_dir / "obama.jpg").read_bytes()))
    for flag, out in (([], "with.png"), (["--no-label"], "without.png")):
        args = [
            "fuse",
            "--template",
            str(tpl),
            "--source",
            str(faces_dir / "cruz.jpg"),
            "--out",
            str(tmp_path / out),
        ]
        assert cli([*args, "--version", "redefine", "--face-degree", "40", *flag]) == 0
    before = pixels(tpl.read_bytes())
    x, y, w, h = visible_label_box(before.shape[1], before.shape[0])
    with_label = pixels((tmp_path / "with.png").read_bytes())[y : y + h, x : x + w]
    without = pixels((tmp_path / "without.png").read_bytes())[y : y + h, x : x + w]
    assert not np.array_equal(with_label, before[y : y + h, x : x + w])
    assert np.array_equal(without, before[y : y + h, x : x + w])
    assert read_labels((tmp_path / "without.png").read_bytes())["AIGC"]["Label"] == "1"
    capsys.readouterr()

    pairs = tmp_path / "pairs.txt"
    pairs.write_text("# source template\nobama.jpg cruz.jpg\n\nnot_there.jpg cruz.jpg  # missing\n")
    assert (
        cli(
            ["fuse-many", "--corpus", str(faces_dir), "--pairs", str(pairs), "--out-dir", str(tmp_path / "o")]
        )
        == 1
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["line"] == 2 and lines[0]["ms"] > 0 and (tmp_path / "o" / "2.jpg").is_file()
    assert lines[1]["line"] == 4 and "error" in lines[1]

    assert cli(["analyse", str(pairs)]) == 2
    assert json.loads(capsys.readouterr().out)["error"] == "FailedOperation.ImageDecodeFailed"


def test_it_hashes_near_duplicates_close_together(photo) -> None:
    a = perceptual_hash(photo("obama.jpg"))
    img = Image.open(io.BytesIO(photo("obama.jpg"))).convert("RGB").resize((455, 568))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=60)
    assert len(a) == 16
    assert hash_distance(a, perceptual_hash(buf.getvalue())) <= 6
    assert hash_distance(a, perceptual_hash(photo("cruz.jpg"))) > 12
    assert hash_distance(perceptual_hash(photo("biden.jpg")), perceptual_hash(photo("two_people.jpg"))) > 12
