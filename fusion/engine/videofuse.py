"""The engine on video: the user's face fused into every frame of a template video, at the
template's stored, smoothed per-frame landmarks (tracking.Track), steady from frame to frame.

Per frame: the engine's own per-face fusion (fuse.fuse_face) at the track's landmarks, then a
temporal stabiliser on what the fusion changed (the residual, fused minus template): the previous
frame's residual is carried onto this frame along the face's motion (a similarity transform
between the two frames' landmarks) and blended with this one's, strongly where they agree and not
at all where they differ (a real change: a blink, a mouth opening). The residual holds the colour
match and the mask's edge, so both are carried over time and neither flickers. Then the visible
label, and H.264.

Work is split into segments of consecutive frames. Each segment is fused and encoded on its own
(a process each, ``fuse_video``; or a Celery task each in Ronghe) and starts a few frames early to
warm the stabiliser, so segment boundaries do not show. ``video.join`` puts them together with
the template's audio and the implicit label.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from fusion.engine import fuse as fz
from fusion.engine import labels, video
from fusion.engine.engine import Engine, get_engine
from fusion.engine.errors import FaceRectInvalid, NoFaceDetected
from fusion.engine.facestack import _iou
from fusion.engine.tracking import Track
from fusion.engine.types import Label, Rect

# Frames per segment: the unit of parallel work and of resuming a killed job (2 s at 25 fps).
SEGMENT_FRAMES = 50
# Frames fused before a segment's first, only to warm the stabiliser.
WARMUP = 4
# Stabiliser: the most of the previous residual kept, and the difference (in 8-bit levels) at
# which a pixel counts as really changed and keeps none of it.
CARRY = 0.6
CHANGE_LEVELS = 14.0
# Below this scale (px) the residual is detail, this frame's own; above it, colour and edges, carried.
DETAIL_SIGMA = 2.0


@dataclass
class UserFace:
    """The user's photo and face, found once per job."""

    pixels: np.ndarray
    points: np.ndarray  # (N, 3)


def user_face(engine: Engine, photo: bytes, rect: Rect | None = None) -> UserFace:
    """The user's face: the one at ``rect`` (InputImageFaceRect) when given, else the largest."""
    img = engine.decode(photo)
    faces = engine.faces_in(img, thorough=False)
    if rect is not None:
        best = max(faces, key=lambda f: _iou(f.box, rect), default=None)
        if best is None or _iou(best.box, rect) < 0.2:
            raise FaceRectInvalid(f"no face at {rect}")
        face = best
    else:
        face = faces[0]
    return UserFace(pixels=img.pixels, points=face.mesh_array())


def _fuse_one(canvas: np.ndarray, t_pts: np.ndarray, user: UserFace, version: str,
              face_degree: int | None, profile_degree: int | None) -> tuple[int, int, int, int]:
    """The engine's per-face fusion, in place, at the template's mesh ``t_pts`` (N, 3); the region
    (x, y, w, h) it changed."""
    params = fz.params_for(version, face_degree, profile_degree)
    return fz.fuse_face(canvas, t_pts.astype(np.float64), user.pixels, user.points, params).roi


@dataclass
class Stabiliser:
    """Carries the fusion's residual from frame to frame along the face's motion. Works on the crop
    the fusion may touch (nothing outside it changes), in frame coordinates offset by the crop's
    corner."""

    prev_residual: np.ndarray | None = None
    prev_offset: tuple[int, int] = (0, 0)
    prev_points: np.ndarray | None = None

    def reset(self) -> None:
        self.prev_residual = self.prev_points = None

    def apply(self, frame: np.ndarray, fused: np.ndarray, region: tuple[int, int, int, int],
              points: np.ndarray) -> None:
        """Stabilise ``fused`` (the fused frame) in place within ``region`` (x0, y0, x1, y1), the
        part the fusion changed."""
        x0, y0, x1, y1 = region
        base = frame[y0:y1, x0:x1].astype(np.float32)
        residual = fused[y0:y1, x0:x1].astype(np.float32) - base
        # Only the residual's smooth part is carried (colour, light, the mask's edge): its fine
        # detail is this frame's own, or carrying it would soften the face.
        smooth = np.asarray(cv2.GaussianBlur(residual, (0, 0), DETAIL_SIGMA), dtype=np.float32)
        detail = residual - smooth
        if self.prev_residual is not None and self.prev_points is not None:
            m, _inliers = cv2.estimateAffinePartial2D(self.prev_points[:, :2].astype(np.float32),
                                                      points[:, :2].astype(np.float32), method=cv2.LMEDS)
            if m is not None:
                # previous region -> frame -> (the face's motion) -> frame -> this region
                px, py = self.prev_offset
                motion = np.asarray(m, dtype=np.float64)
                motion[:, 2] += motion[:, :2] @ np.array([px, py], np.float64) - np.array([x0, y0], np.float64)
                carried = np.asarray(cv2.warpAffine(self.prev_residual, motion, (x1 - x0, y1 - y0),
                                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT),
                                     dtype=np.float32)
                d = cv2.absdiff(smooth, carried)
                diff = np.maximum(np.maximum(d[:, :, 0], d[:, :, 1]), d[:, :, 2])
                keep = cv2.exp(-cv2.multiply(diff, diff, scale=1.0 / CHANGE_LEVELS**2)) * CARRY
                smooth += (carried - smooth) * keep[:, :, None]
        residual = smooth
        fused[y0:y1, x0:x1] = np.clip(base + smooth + detail + 0.5, 0, 255).astype(np.uint8)
        self.prev_residual, self.prev_offset, self.prev_points = residual, (x0, y0), points


@dataclass
class Job:
    """One fusion of a user's photo into a template video."""

    template: Path
    track: Track
    info: video.VideoInfo
    photo: bytes
    photo_rect: Rect | None = None
    version: str = "faceswap"
    face_degree: int | None = None
    profile_degree: int | None = None
    label: Label = field(default_factory=Label)
    logo: bytes | None = None


def segments(n_frames: int, size: int = SEGMENT_FRAMES) -> list[tuple[int, int]]:
    return [(s, min(s + size, n_frames)) for s in range(0, n_frames, size)]


@dataclass
class SegmentStats:
    frames: int
    fused: int  # frames where the face was present and fused
    seconds: float  # wall
    cpu_seconds: float  # this process's CPU time


def fuse_segment(job: Job, start: int, stop: int, out: Path | str, *, engine: Engine | None = None,
                 user: UserFace | None = None, on_frame: Callable[[int], None] | None = None) -> SegmentStats:
    """Fuse frames start..stop-1 and encode them to ``out`` (H.264, video only)."""
    began, began_cpu = time.perf_counter(), time.process_time()
    engine = engine or get_engine()
    user = user or user_face(engine, job.photo, job.photo_rect)
    stab = Stabiliser()
    fused = 0
    region_crop = _crop_for(job)
    with video.SegmentWriter(out, width=job.info.width, height=job.info.height, fps=job.info.fps) as writer:
        for index, frame in video.frames(job.template, max(0, start - WARMUP), stop):
            canvas = frame
            if job.track.present[index]:
                pts = job.track.points[index]
                canvas = frame.copy()
                x0, y0, x1, y1 = region_crop(pts, frame.shape)
                sub = canvas[y0:y1, x0:x1]
                local = pts.copy()
                local[:, 0] -= x0
                local[:, 1] -= y0
                try:
                    rx, ry, rw, rh = _fuse_one(sub, local, user, job.version, job.face_degree, job.profile_degree)
                except NoFaceDetected:
                    stab.reset()
                else:
                    stab.apply(frame, canvas, (x0 + rx, y0 + ry, x0 + rx + rw, y0 + ry + rh), pts)
                    fused += index >= start
            else:
                stab.reset()
            if index < start:
                continue
            if job.logo is not None:
                labels.draw_logo(canvas, job.logo, job.label.logo_rect)
            elif job.label.visible:
                labels.draw_visible(canvas)
            writer.write(canvas)
            if on_frame is not None:
                on_frame(index)
    return SegmentStats(frames=stop - start, fused=fused, seconds=time.perf_counter() - began,
                        cpu_seconds=time.process_time() - began_cpu)


def _crop_for(job: Job) -> Callable[[np.ndarray, tuple[int, ...]], tuple[int, int, int, int]]:
    """The part of the frame the fusion may touch: the face's box with a face's width of margin
    (the engine's own ring and region lie well inside it). Fusing a crop instead of the whole
    frame keeps the engine's work on a 4K frame the same as on a small one."""

    def crop(pts: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        h, w = shape[:2]
        lo, hi = pts[:, :2].min(0), pts[:, :2].max(0)
        size = float(max(hi - lo))
        x0, y0 = np.floor(lo - size).astype(int)
        x1, y1 = np.ceil(hi + size).astype(int)
        return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))

    return crop


# --- all segments on a pool of processes (the CLI and the benchmark) ---------------------------

_pool_job: Job | None = None


def _init_pool(job: Job) -> None:
    global _pool_job
    _pool_job = job
    get_engine()


def _run_pool_segment(args: tuple[int, int, str]) -> SegmentStats:
    assert _pool_job is not None
    start, stop, out = args
    return fuse_segment(_pool_job, start, stop, out)


def fuse_video(job: Job, out: Path | str, *, workdir: Path | str, workers: int | None = None,
               segment_frames: int = SEGMENT_FRAMES) -> tuple[video.VideoInfo, list[SegmentStats]]:
    """The whole video on ``workers`` processes (default: the cores), joined to ``out``."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    parts = [(s, e, str(workdir / f"seg-{s:06d}.mp4")) for s, e in segments(job.info.frames, segment_frames)]
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        _init_pool(job)
        stats = [_run_pool_segment(p) for p in parts]
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_pool,
                                 initargs=(job,)) as pool:
            stats = list(pool.map(_run_pool_segment, parts))
    info = video.join([p[2] for p in parts], out, template=job.template, label=job.label)
    return info, stats
