"""Video in and out through PyAV (FFmpeg's libraries, bundled in the ``av`` wheel): probe and
check a template, decode frames, encode H.264 segments, join them with the template's audio and the
implicit AIGC label, and the demo template made from a still photo (a slow zoom and pan).

Licence of what the wheel bundles (docs/decisions.md#video): PyAV is BSD-3-Clause; its FFmpeg
8.1 libraries report "LGPL version 3 or later" (built with --enable-version3); the wheel also
bundles libx264 and libx265, both GPL-2.0-or-later, and H.264 is encoded through libx264, so the
encoder this module runs is GPL code. ``encoder_licences()`` reports what the installed wheel says.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
import cv2
import numpy as np
from av.video.stream import VideoStream

from fusion.engine.errors import EngineError
from fusion.engine.labels import aigc_fields
from fusion.engine.types import Label

# The cloud's current video API (2024-05-23) takes templates of at most 20 s, 25 fps and 4K, MP4.
MAX_SECONDS = 20.0
MAX_FPS = 25.0
MAX_SIDE = 3840
MIN_SIDE = 64
ENCODER = "libx264"
# Quality of the fused video: x264's constant rate factor (18-23 is visually lossless to good).
CRF = 20
PRESET = "veryfast"
METADATA_AIGC = "AIGC"


class VideoDecodeFailed(EngineError):
    code = "FailedOperation.VideoDecodeFailed"
    message_zh = "视频解码失败，仅支持 H.264/H.265 编码的 MP4"
    message_en = "The video could not be decoded; only MP4 (H.264/H.265) is supported"


class VideoLimitExceeded(EngineError):
    code = "FailedOperation.VideoLimitExceeded"
    message_zh = "视频超出限制：时长 ≤ 20 秒、帧率 ≤ 25、分辨率 ≤ 4K"
    message_en = "The video exceeds the limits: at most 20 s, 25 fps and 4K"


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: Fraction
    frames: int
    duration: float  # seconds: frames / fps
    codec: str
    has_audio: bool

    def to_json(self) -> dict:
        data = asdict(self)
        data["fps"] = [self.fps.numerator, self.fps.denominator]
        return data

    @classmethod
    def from_json(cls, data: dict) -> VideoInfo:
        num, den = data["fps"]
        return cls(width=int(data["width"]), height=int(data["height"]), fps=Fraction(int(num), int(den)),
                   frames=int(data["frames"]), duration=float(data["duration"]), codec=str(data["codec"]),
                   has_audio=bool(data["has_audio"]))


def encoder_licences() -> dict[str, str]:
    """What the installed FFmpeg libraries say their licence is, and which GPL encoders the wheel
    bundles (docstring above)."""
    from av._core import library_meta

    out = {name: str(meta.get("license", "")) for name, meta in library_meta.items()}
    config = str(library_meta["libavcodec"].get("configuration", ""))
    out["gpl_encoders"] = ",".join(lib for lib in ("libx264", "libx265") if f"--enable-{lib}" in config)
    return out


def _is_mp4(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(12)
    return len(head) == 12 and head[4:8] == b"ftyp"


def probe(path: Path | str, *, count: bool = True) -> VideoInfo:
    """The video's size, rate, frame count and duration. The frame count is counted by demuxing
    (no decoding) when ``count``; a container's own figure may be missing or wrong."""
    path = Path(path)
    if not _is_mp4(path):
        raise VideoDecodeFailed("not an MP4 file (no ftyp box)")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoDecodeFailed("no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if not rate:
                raise VideoDecodeFailed("no frame rate")
            fps = Fraction(rate).limit_denominator(1001)
            frames = int(stream.frames or 0)
            if count or not frames:
                frames = sum(1 for p in container.demux(stream) if p.size)
            codec = stream.codec_context.name
            width, height = int(stream.codec_context.width), int(stream.codec_context.height)
            has_audio = bool(container.streams.audio)
    except av.FFmpegError as exc:
        raise VideoDecodeFailed(str(exc)) from exc
    if frames <= 0 or width <= 0 or height <= 0:
        raise VideoDecodeFailed("no frames")
    return VideoInfo(width=width, height=height, fps=fps, frames=frames, duration=round(frames / float(fps), 3),
                     codec=codec, has_audio=has_audio)


def check_limits(info: VideoInfo, *, max_seconds: float = MAX_SECONDS, max_fps: float = MAX_FPS,
                 max_side: int = MAX_SIDE) -> None:
    if info.duration > max_seconds + 1e-6:
        raise VideoLimitExceeded(f"{info.duration:.2f} s > {max_seconds:g} s")
    if float(info.fps) > max_fps + 0.01:
        raise VideoLimitExceeded(f"{float(info.fps):.2f} fps > {max_fps:g}")
    if max(info.width, info.height) > max_side or min(info.width, info.height) > 2160:
        raise VideoLimitExceeded(f"{info.width}x{info.height} larger than 4K")
    if min(info.width, info.height) < MIN_SIDE:
        raise VideoLimitExceeded(f"{info.width}x{info.height} smaller than {MIN_SIDE} px a side")


def frames(path: Path | str, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(index, BGR pixels) of frames start..stop-1, in order. Seeks to the keyframe before
    ``start`` and decodes from there, so a segment in the middle does not decode the whole file."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            fps = Fraction(stream.average_rate or stream.guessed_rate or 25)
            tb = stream.time_base or Fraction(1, 90000)
            first_pts = stream.start_time or 0
            if start > 0:
                # One frame early, so rounding of the target time never skips the start frame.
                target = first_pts + int((Fraction(start - 1) / fps) / tb)
                container.seek(max(target, first_pts), stream=stream, backward=True)
            index = None
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                index = round(float((frame.pts - first_pts) * tb * fps))
                if index < start:
                    continue
                if stop is not None and index >= stop:
                    break
                yield index, frame.to_ndarray(format="bgr24")
    except av.FFmpegError as exc:
        raise VideoDecodeFailed(str(exc)) from exc


def sample_indices(n_frames: int, count: int) -> list[int]:
    """``count`` frame indices spread evenly over the video (first and last included)."""
    if n_frames <= count:
        return list(range(n_frames))
    return sorted({round(i * (n_frames - 1) / (count - 1)) for i in range(count)})


class SegmentWriter:
    """An H.264 MP4 holding frames of the output, video only (segments are joined by ``join``)."""

    def __init__(self, path: Path | str, *, width: int, height: int, fps: Fraction, threads: int = 1) -> None:
        self.path = str(path)
        self.container = av.open(self.path, "w", format="mp4")
        self.stream = cast(VideoStream, self.container.add_stream(ENCODER, rate=fps))
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.codec_context.time_base = 1 / fps
        self.stream.options = {"crf": str(CRF), "preset": PRESET, "threads": str(threads)}
        self.count = 0

    def write(self, bgr: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(bgr, format="bgr24")
        frame.pts = self.count
        self.count += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def label_metadata(label: Label) -> dict[str, str]:
    """The container tags that carry the implicit label: ``AIGC`` (GB 45438-2025's seven fields,
    as JSON, the same as the images' XMP) and the caller's one MetaData pair."""
    tags = {METADATA_AIGC: json.dumps(aigc_fields(label), ensure_ascii=False, separators=(",", ":"))}
    if label.meta_key:
        tags[label.meta_key] = label.meta_value or ""
    return tags


def join(segments: Sequence[Path | str], out: Path | str, *, template: Path | str, label: Label) -> VideoInfo:
    """The segments' video, one after the other, with the template's audio stream copied unchanged
    (no re-encoding), and the implicit label in the MP4's metadata; the moov box first, so a player
    starts before the download ends."""
    options = {"movflags": "+faststart+use_metadata_tags"}
    try:
        with av.open(str(out), "w", format="mp4", options=options) as dst, av.open(str(template)) as tmpl:
            for key, value in label_metadata(label).items():
                dst.metadata[key] = value
            first = av.open(str(segments[0]))
            v_out = dst.add_stream_from_template(first.streams.video[0])
            first.close()
            a_in = tmpl.streams.audio[0] if tmpl.streams.audio else None
            a_out = dst.add_stream_from_template(a_in) if a_in is not None else None
            offset = 0
            for seg in segments:
                with av.open(str(seg)) as src:
                    s = src.streams.video[0]
                    last = offset
                    for packet in src.demux(s):
                        if packet.dts is None or packet.pts is None:
                            continue
                        packet.pts = (packet.pts or 0) + offset
                        packet.dts += offset
                        last = max(last, packet.pts + (packet.duration or 0))
                        packet.stream = v_out
                        dst.mux(packet)
                    offset = last
            if a_in is not None and a_out is not None:
                for a_packet in tmpl.demux(a_in):
                    if a_packet.dts is None:
                        continue
                    a_packet.stream = a_out
                    dst.mux(a_packet)
    except av.FFmpegError as exc:
        raise VideoDecodeFailed(str(exc)) from exc
    return probe(out)


def read_metadata(path: Path | str) -> dict[str, str]:
    with av.open(str(path)) as container:
        return {str(k): str(v) for k, v in container.metadata.items()}


def read_labels(path: Path | str) -> dict:
    """The implicit label of an MP4: {"AIGC": {...}, "MetaData": {key: value}}; {} if none."""
    tags = read_metadata(path)
    raw = tags.get(METADATA_AIGC)
    if raw is None:
        return {}
    # FFmpeg's own tags (major_brand, encoder, ...) are not the caller's MetaData.
    own = {"major_brand", "minor_version", "compatible_brands", "encoder", "creation_time", METADATA_AIGC}
    return {"AIGC": json.loads(raw), "MetaData": {k: v for k, v in tags.items() if k not in own}}


def audio_packets(path: Path | str) -> list[bytes]:
    """The audio stream's packets as stored (tests compare the output's with the template's)."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return []
        return [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size]


# --- the demo template ------------------------------------------------------------------------

def make_demo_clip(photo: np.ndarray, out: Path | str, *, face: tuple[int, int, int, int] | None = None,
                   width: int = 640, height: int = 360, seconds: float = 2.0, fps: int = 25, zoom: float = 0.12,
                   pan: float = 0.08, tone_hz: float = 440.0) -> VideoInfo:
    """A template video made from a still photo: a slow zoom in (by ``zoom``) and a pan (by ``pan``
    of the window's width) around ``face`` (x, y, w, h; the face fills about 40% of the frame's
    height at the start), with a quiet sine tone as its audio track, so the demo and the tests need
    nothing from outside. The window keeps the output's aspect ratio and stays inside the photo."""
    ph, pw = photo.shape[:2]
    aspect = width / height
    base_h = min(ph, pw / aspect)
    fx, fy = pw / 2, ph / 2
    if face is not None:
        fx, fy = face[0] + face[2] / 2, face[1] + face[3] / 2
        base_h = min(base_h, face[3] / 0.4)
    base_w = base_h * aspect

    def window(ease: float) -> tuple[float, float, float]:
        scale = 1.0 - zoom * ease
        win_w, win_h = base_w * scale, base_h * scale
        cx = fx + (ease - 0.5) * pan * win_w
        cy = fy + 0.05 * win_h  # the face a little above the middle, as framed by a camera
        cx = min(max(cx, win_w / 2), pw - win_w / 2)
        cy = min(max(cy, win_h / 2), ph - win_h / 2)
        return cx, cy, win_w

    n = max(1, round(seconds * fps))
    with av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"}) as dst:
        v = cast(VideoStream, dst.add_stream(ENCODER, rate=fps))
        v.width, v.height, v.pix_fmt = width, height, "yuv420p"
        v.options = {"crf": "18", "preset": "veryfast"}
        a = dst.add_stream("aac", rate=44100)
        a.layout = "mono"
        for i in range(n):
            t = i / max(n - 1, 1)
            ease = 0.5 - 0.5 * math.cos(math.pi * t)  # starts and ends gently
            cx, cy, win_w = window(ease)
            k = width / win_w
            m = np.array([[k, 0, width / 2 - k * cx], [0, k, height / 2 - k * cy]], dtype=np.float32)
            img = np.asarray(cv2.warpAffine(photo, m, (width, height), flags=cv2.INTER_CUBIC,
                                            borderMode=cv2.BORDER_REFLECT), dtype=np.uint8)
            vframe = av.VideoFrame.from_ndarray(img, format="bgr24")
            vframe.pts = i
            for packet in v.encode(vframe):
                dst.mux(packet)
        for packet in v.encode():
            dst.mux(packet)
        samples = int(44100 * n / fps)
        t_audio = np.arange(samples) / 44100.0
        wave = (0.1 * np.sin(2 * math.pi * tone_hz * t_audio)).astype(np.float32)
        for start in range(0, samples, 1024):
            chunk = wave[start:start + 1024]
            aframe = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            aframe.sample_rate = 44100
            aframe.pts = start
            for packet in a.encode(aframe):
                dst.mux(packet)
        for packet in a.encode():
            dst.mux(packet)
    return probe(out)
