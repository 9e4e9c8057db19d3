"""The engine on video, without Django: probing and limits, joining with the template's audio and
the implicit label, the licence report, tracking and its smoothing, the stabiliser, and a whole
video fused on two processes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from fusion.engine import get_engine, labels
from fusion.engine import video as engine_video
from fusion.engine.tracking import RoleNotInVideo, acceleration, track_file
from fusion.engine.types import Label
from fusion.engine.videofuse import Job, Stabiliser, fuse_video
from tests.video.conftest import clip_bytes


@pytest.fixture(scope="module")
def clip(tmp_path_factory, faces_dir_module) -> Path:
    path = tmp_path_factory.mktemp("clip") / "biden.mp4"
    path.write_bytes(clip_bytes(faces_dir_module / "biden.jpg", seconds=1.0))
    return path


@pytest.fixture(scope="module")
def faces_dir_module() -> Path:
    from tests.conftest import FACES_DIR

    return FACES_DIR


def test_it_refuses_what_is_not_an_mp4_and_what_exceeds_the_limits(tmp_path, faces_dir_module):
    png = tmp_path / "x.mp4"
    png.write_bytes((faces_dir_module / "astronaut_collins.png").read_bytes())
    with pytest.raises(engine_video.VideoDecodeFailed):
        engine_video.probe(png)
    base = dict(width=1280, height=720, fps=Fraction(25), frames=250, duration=10.0, codec="h264", has_audio=True)
    engine_video.check_limits(engine_video.VideoInfo(**base))
    for change in ({"duration": 20.5}, {"fps": Fraction(30)}, {"width": 4096, "height": 2160},
                   {"width": 48, "height": 48}):
        with pytest.raises(engine_video.VideoLimitExceeded):
            engine_video.check_limits(engine_video.VideoInfo(**{**base, **change}))


def test_it_joins_segments_with_the_templates_audio_and_the_implicit_label(tmp_path, clip):
    info = engine_video.probe(clip)
    parts = []
    for start, stop in ((0, 10), (10, info.frames)):
        part = tmp_path / f"{start}.mp4"
        with engine_video.SegmentWriter(part, width=info.width, height=info.height, fps=info.fps) as writer:
            for _i, frame in engine_video.frames(clip, start, stop):
                writer.write(frame)
        parts.append(part)
    out = engine_video.join(parts, tmp_path / "out.mp4", template=clip,
                            label=Label(produce_id="req-1", meta_key="campaign", meta_value="春节"))
    assert (out.frames, out.fps, out.width, out.codec) == (info.frames, info.fps, info.width, "h264")
    out_path = tmp_path / "out.mp4"
    assert engine_video.audio_packets(out_path) == engine_video.audio_packets(clip)
    read = engine_video.read_labels(out_path)
    assert read["AIGC"]["ProduceID"] == "req-1" and read["AIGC"]["Label"] == "1"
    assert read["MetaData"] == {"campaign": "春节"}
    assert engine_video.read_labels(clip) == {}


def test_it_reports_the_licences_of_the_ffmpeg_it_bundles():
    report = engine_video.encoder_licences()
    assert "LGPL" in report["libavcodec"]
    assert "libx264" in report["gpl_encoders"]  # H.264 is encoded through GPL code (README)


def test_it_tracks_the_role_and_smooths_its_jitter(clip):
    info = engine_video.probe(clip)
    track = track_file(get_engine(), clip, info.frames)
    assert track.present.all() and track.frames == info.frames == 25
    assert acceleration(track.points, track.present) < acceleration(track.raw, track.present)
    assert 0 <= track.poster < info.frames


def test_a_video_without_a_face_has_no_role(tmp_path):
    gradient = np.tile(np.linspace(0, 255, 640, dtype=np.uint8), (480, 1))
    still = cv2.cvtColor(gradient, cv2.COLOR_GRAY2BGR)
    path = tmp_path / "noface.mp4"
    info = engine_video.make_demo_clip(still, path, width=160, height=90, seconds=0.2)
    with pytest.raises(RoleNotInVideo):
        track_file(get_engine(), path, info.frames)


def test_the_stabiliser_carries_what_agrees_and_lets_a_real_change_through():
    frame = np.full((40, 40, 3), 100, np.uint8)
    points = np.array([[5.0, 5.0, 0], [30.0, 5.0, 0], [5.0, 30.0, 0], [30.0, 30.0, 0]])
    stab = Stabiliser()
    first = frame.copy()
    first[:] = 140
    stab.apply(frame, first, (0, 0, 40, 40), points)
    flicker = frame.copy()
    flicker[:] = 150  # 10 levels off the last frame's colour: flicker, pulled back toward it
    stab.apply(frame, flicker, (0, 0, 40, 40), points)
    assert 140 < int(flicker[20, 20, 0]) < 150
    change = frame.copy()
    change[:] = 220  # far off: a real change, kept as it is
    stab.apply(frame, change, (0, 0, 40, 40), points)
    assert int(change[20, 20, 0]) >= 219


def test_it_fuses_a_whole_video_on_two_processes(tmp_path, clip, faces_dir_module):
    info = engine_video.probe(clip)
    track = track_file(get_engine(), clip, info.frames)
    job = Job(template=clip, track=track, info=info, photo=(faces_dir_module / "obama2.jpg").read_bytes(),
              label=Label(produce_id="job-1"))
    out, stats = fuse_video(job, tmp_path / "out.mp4", workdir=tmp_path / "segs", workers=2, segment_frames=10)
    assert out.frames == info.frames and len(stats) == 3 and sum(s.fused for s in stats) == info.frames
    template = dict(engine_video.frames(clip))
    x, y, w, h = labels.visible_label_box(info.width, info.height)
    for index, frame in engine_video.frames(tmp_path / "out.mp4"):
        face = track.box(index)
        assert face is not None
        fx, fy, fw, fh = face
        # The face changed, and the visible label is burnt into every frame.
        assert np.abs(frame[fy:fy + fh, fx:fx + fw].astype(int) - template[index][fy:fy + fh, fx:fx + fw]).mean() > 3
        assert np.abs(frame[y:y + h, x:x + w].astype(int) - template[index][y:y + h, x:x + w]).mean() > 10
