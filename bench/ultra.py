"""FuseFaceUltra benchmark (fusion/engine/ultra.py, fusion/ultra.py): what each SwapModelType and each
FusionUltraParam knob does, what large templates cost, and what the call-time template check costs.

    python -m bench.ultra [--faces DIR] [--no-knobs] [--no-sizes] [--no-screen]

* model types: for each of 1-6 at the default knobs, over corpus pairs (templates fitted to 1080 and
  3000 px): identity distance of the result's face to the user's photo (dlib embedding, lower is
  more like the user), outline distance to the user's face shape (see Measures.outline), detail
  ratio (the face's Laplacian variance over the template face's), the warm time;
* knobs, for each model type 1-5: WarpRadio → the outline gap to a user whose chin was stretched
  (long_chin), and on the corpus pairs the outline gap and the identity distance (all fall as it
  rises), EnhanceRadio →
  detail ratio (rises), MpRadio → cheek detail (falls), MakeupTransferRadio → the lips' and the
  eyelids' colour distance to the template's (falls when on), TeethEnhanceRadio → teeth lightness
  (rises when on); medians over the pairs and, per knob, in how many pairs every step moved the
  right way;
* sizes: one JPEG template upscaled to 1080, 4000 and 8000 px on its long side, each fused in a
  fresh process: decode / faces and check / fuse / encode milliseconds and the peak memory the call
  added (ru_maxrss after minus before), beside the engine's FuseFace path on the same template where
  that path takes it (its templates are at most 4096 px);
* the check: ``materials.screening.template_screen`` against galleries of 0, 1,000 and 10,000
  photos with 1,000 protected images and 1,000 of the account's rejected materials (rows in
  ``BENCH_DATABASE_URL``, rolled back), beside the engine's part of it (embeddings, hash).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FACES = REPO / "tests" / "faces"
OUT = REPO / "var" / "bench" / "ultra"
# (template, user): different people, one face each.
PAIRS = [("obama.jpg", "biden.jpg"), ("cruz.jpg", "obama2.jpg"), ("astronaut_collins.png", "obama.jpg"),
         ("biden.jpg", "cruz.jpg")]
SIZES = (1080, 4000, 8000)


@dataclass
class Prepared:
    pixels: np.ndarray  # the decoded template, copied for each fuse (fusion draws into it)
    fmt: str
    found: Any  # ultra.TemplateFaces
    mesh: np.ndarray  # the template face's mesh
    user: bytes
    user_embedding: list[float]
    user_mesh: np.ndarray


def _fit(data: bytes, long_side: int) -> bytes:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    s = long_side / max(img.shape[:2])
    img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    return cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def _poly(shape: tuple[int, int], pts: np.ndarray, erode: int = 0) -> np.ndarray:
    m: np.ndarray = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts[:, :2]).astype(np.int32)], 255)
    if erode:
        m = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * erode + 1, 2 * erode + 1)))
    return m > 0


def _lap(gray: np.ndarray, mask: np.ndarray) -> float:
    v = cv2.Laplacian(gray, cv2.CV_64F)[mask]
    return float(v.var()) if v.size else 0.0


class Measures:
    def __init__(self, engine) -> None:
        from fusion.engine import meshdata as md

        self.engine, self.md = engine, md

    def face(self, shape, mesh) -> np.ndarray:
        width = float(np.ptp(mesh[self.md.FACE_OVAL, 0]))
        return _poly(shape, mesh[self.md.FACE_OVAL], erode=max(1, round(0.06 * width)))

    def detail(self, px: np.ndarray, p: Prepared) -> float:
        inside = self.face(px.shape[:2], p.mesh)
        return _lap(cv2.cvtColor(px, cv2.COLOR_BGR2GRAY), inside) / max(
            _lap(cv2.cvtColor(p.pixels, cv2.COLOR_BGR2GRAY), inside), 1e-6)

    def cheeks(self, px: np.ndarray, p: Prepared) -> float:
        md = self.md
        mask = self.face(px.shape[:2], p.mesh)
        for loop in (md.LIPS_OUTER, md.RIGHT_EYE, md.LEFT_EYE, md.RIGHT_BROW, md.LEFT_BROW):
            mask &= ~_poly(px.shape[:2], p.mesh[loop])
        return _lap(cv2.cvtColor(px, cv2.COLOR_BGR2GRAY), mask)

    def outline(self, data: bytes, p: Prepared) -> float | None:
        """How far the result's face outline is from the user's: the user's outline brought onto the
        result by the similarity that matches their eyes, nose and mouth corners; the mean gap in
        inter-ocular distances (lower: the face shape is more the user's)."""
        from fusion.engine import geometry as geo

        try:
            mesh = self.engine.analyse(data)[0].mesh_array()
        except Exception:
            return None
        inner = [33, 133, 362, 263, self.md.NOSE_TIP, *self.md.MOUTH_CORNERS]
        m, _ok = cv2.estimateAffinePartial2D(p.user_mesh[inner, :2].astype(np.float32),
                                             mesh[inner, :2].astype(np.float32))
        if m is None:
            return None
        oval = self.md.FACE_OVAL
        user = p.user_mesh[oval, :2] @ m[:, :2].T + m[:, 2]
        return float(np.linalg.norm(mesh[oval, :2] - user, axis=1).mean() / geo.inter_ocular(mesh))

    def identity(self, data: bytes, p: Prepared) -> float | None:
        try:
            e = self.engine.embedding_of(data)
        except Exception:
            return None
        return float(np.linalg.norm(np.asarray(e) - np.asarray(p.user_embedding)))

    def _regions(self, shape, mesh) -> dict[str, np.ndarray]:
        md = self.md
        lips = _poly(shape, mesh[md.LIPS_OUTER]) & ~_poly(shape, mesh[md.LIPS_INNER])
        lids = np.zeros(shape, bool)
        for upper, brow in ((md.RIGHT_EYE_UPPER, md.RIGHT_BROW[5:]), (md.LEFT_EYE_UPPER, md.LEFT_BROW[5:])):
            top = mesh[upper, :2][np.argsort(mesh[upper, 0])]
            b = mesh[brow, :2][np.argsort(mesh[brow, 0])]
            lids |= _poly(shape, np.vstack([top, b[::-1]]))
        return {"lips": lips, "lids": lids}

    def colour_gap(self, px: np.ndarray, data: bytes, p: Prepared, part: str) -> float | None:
        """The a/b colour distance of the result's lips (or upper eyelids) to the template's."""
        try:
            mesh = self.engine.analyse(data)[0].mesh_array()
        except Exception:
            return None
        mine = self._regions(px.shape[:2], mesh)[part]
        theirs = self._regions(p.pixels.shape[:2], p.mesh)[part]
        if mine.sum() < 8 or theirs.sum() < 8:
            return None
        a = cv2.cvtColor(px, cv2.COLOR_BGR2LAB)[mine][:, 1:].astype(np.float64).mean(0)
        b = cv2.cvtColor(p.pixels, cv2.COLOR_BGR2LAB)[theirs][:, 1:].astype(np.float64).mean(0)
        return float(np.linalg.norm(a - b))

    def teeth(self, px: np.ndarray, p: Prepared) -> float | None:
        hole = _poly(px.shape[:2], p.mesh[self.md.LIPS_INNER])
        if hole.sum() < 30:
            return None
        lab = cv2.cvtColor(px, cv2.COLOR_BGR2LAB)[hole].astype(np.float64)
        return float(np.percentile(lab[:, 0], 75) - 0.5 * np.percentile(lab[:, 2], 75))


def _prepare(engine, faces: Path, side: int = 1080) -> list[Prepared]:
    from fusion.engine import ultra

    out = []
    for template, user in PAIRS:
        data = _fit((faces / template).read_bytes(), side)
        tmpl = ultra.open_template(data)
        found = ultra.find_faces(engine, tmpl)
        user_bytes = (faces / user).read_bytes()
        out.append(Prepared(tmpl.pixels.copy(), tmpl.format, found, found.faces[0].mesh, user_bytes,
                            engine.embedding_of(user_bytes), engine.analyse(user_bytes)[0].mesh_array()))
    return out


def long_chin(engine, data: bytes) -> bytes:
    """The photo with everything below the nose stretched 1.4 times downward: a user whose face shape
    differs clearly from every template's, so WarpRadio's pull on the outline shows (a geometric
    transform; the corpus' people have much the same outline)."""
    from fusion.engine import meshdata as md

    img = engine.decode(data).pixels
    nose_y = int(engine.analyse(data)[0].mesh_array()[md.NOSE_TIP, 1])
    lower = cv2.resize(img[nose_y:], None, fx=1.0, fy=1.4, interpolation=cv2.INTER_CUBIC)
    return cv2.imencode(".png", np.vstack([img[:nose_y], lower]))[1].tobytes()


def _prepare_long_chin(engine, faces: Path) -> list[Prepared]:
    from fusion.engine import ultra

    user = long_chin(engine, (faces / "cruz.jpg").read_bytes())
    out = []
    for template in ("obama.jpg", "biden.jpg", "astronaut_collins.png", "obama2.jpg"):
        tmpl = ultra.open_template(_fit((faces / template).read_bytes(), 1080))
        found = ultra.find_faces(engine, tmpl)
        out.append(Prepared(tmpl.pixels.copy(), tmpl.format, found, found.faces[0].mesh, user,
                            engine.embedding_of(user), engine.analyse(user)[0].mesh_array()))
    return out


def _fuse(engine, p: Prepared, model_type: int, knobs) -> tuple[bytes, np.ndarray, float]:
    from fusion.engine import Label, ultra

    tmpl = ultra.UltraTemplate(pixels=p.pixels.copy(), format=p.fmt, width=p.pixels.shape[1],
                               height=p.pixels.shape[0])
    t0 = time.perf_counter()
    data, _r = ultra.fuse(engine, tmpl, p.found, [ultra.UltraMapping(source=p.user)], model_type=model_type,
                          knobs=knobs, label=Label(visible=False))
    ms = (time.perf_counter() - t0) * 1000
    return data, tmpl.pixels, ms


def _fmt(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def _median(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def model_types(engine, prepared: list[Prepared], side: int) -> dict:
    from fusion.engine import ultra

    m = Measures(engine)
    print("\n== SwapModelType at the default knobs (WarpRadio 0.7, EnhanceRadio 0.5, MpRadio 0.5, teeth on), "
          f"medians over {len(prepared)} pairs, templates {side} px ==")
    print(f"{'type':<5} {'identity':>9} {'outline':>8} {'detail':>7} {'ms':>7}  preset")
    out = {}
    for n, model in ultra.MODEL_TYPES.items():
        rows = [_fuse(engine, p, n, ultra.UltraKnobs()) for p in prepared]
        ids = [m.identity(data, p) for (data, _px, _ms), p in zip(rows, prepared, strict=True)]
        shape = [m.outline(data, p) for (data, _px, _ms), p in zip(rows, prepared, strict=True)]
        det = [m.detail(px, p) for (_d, px, _ms), p in zip(rows, prepared, strict=True)]
        ms = [r[2] for r in rows]
        out[n] = {"identity": _median(ids), "outline": _median(shape), "detail": _median(det), "ms": _median(ms)}
        print(f"{n:<5} {_fmt(out[n]['identity']):>9} {_fmt(out[n]['outline']):>8} {_fmt(out[n]['detail'], '.2f'):>7} "
              f"{_fmt(out[n]['ms'], '.0f'):>7}  {model.name_en} (outline {model.warp_base}+{model.warp_gain}·W, "
              f"feather {model.feather}, work width {model.work_width} px)")
    return out


@dataclass
class KnobSpec:
    knob: str
    measure: str
    direction: str  # "up" or "down" as the setting rises
    settings: list[float]
    make: Callable[[float], Any]  # the setting → UltraKnobs
    metric: Callable[[bytes, np.ndarray, Prepared], float | None]
    pairs: list[Prepared] = field(default_factory=list)  # its own pairs, else the corpus pairs


def knobs(engine, prepared: list[Prepared], stretched: list[Prepared], types: list[int]) -> dict:
    from fusion.engine import ultra

    m = Measures(engine)
    specs = [
        KnobSpec("WarpRadio", "outline gap, stretched", "down", [0.0, 0.5, 1.0], lambda v: ultra.UltraKnobs(warp=v),
                 lambda data, px, p: m.outline(data, p), stretched),
        KnobSpec("WarpRadio", "outline gap", "down", [0.0, 0.5, 1.0], lambda v: ultra.UltraKnobs(warp=v),
                 lambda data, px, p: m.outline(data, p)),
        KnobSpec("WarpRadio", "identity distance", "down", [0.0, 0.5, 1.0], lambda v: ultra.UltraKnobs(warp=v),
                 lambda data, px, p: m.identity(data, p)),
        KnobSpec("EnhanceRadio", "detail ratio", "up", [0.0, 0.5, 1.0],
                 lambda v: ultra.UltraKnobs(enhance=v, smooth=0.0), lambda data, px, p: m.detail(px, p)),
        KnobSpec("MpRadio", "cheek detail", "down", [0.0, 0.5, 1.0], lambda v: ultra.UltraKnobs(smooth=v),
                 lambda data, px, p: m.cheeks(px, p)),
        KnobSpec("MakeupTransferRadio", "lip colour gap", "down", [0, 1], lambda v: ultra.UltraKnobs(makeup=bool(v)),
                 lambda data, px, p: m.colour_gap(px, data, p, "lips")),
        KnobSpec("MakeupTransferRadio", "eyelid colour gap", "down", [0, 1],
                 lambda v: ultra.UltraKnobs(makeup=bool(v)), lambda data, px, p: m.colour_gap(px, data, p, "lids")),
        KnobSpec("TeethEnhanceRadio", "teeth L - b/2", "up", [0, 1], lambda v: ultra.UltraKnobs(teeth=bool(v)),
                 lambda data, px, p: m.teeth(px, p)),
    ]
    out: dict = {}
    print(f"\n== FusionUltraParam per model type: medians over {len(prepared)} pairs; per knob, the pairs it "
          "changed and those where any step went the wrong way ==")
    for n in types:
        for spec in specs:
            knob, measure, direction, settings = spec.knob, spec.measure, spec.direction, spec.settings
            per_pair: list[list[float | None]] = []
            for p in spec.pairs or prepared:
                values = []
                for v in settings:
                    data, px, _ms = _fuse(engine, p, n, spec.make(v))
                    values.append(spec.metric(data, px, p))
                per_pair.append(values)
            complete: list[list[float]] = [[float(v) for v in vals if v is not None] for vals in per_pair
                                           if None not in vals]
            # A step the wrong way; a step that changes nothing (no teeth in a closed mouth) is not one.
            wrong = sum(1 for vals in complete if any((b > a) if direction == "down" else (b < a)
                                                      for a, b in itertools.pairwise(vals)))
            moved = sum(1 for vals in complete if vals[-1] != vals[0])
            medians = [_median([vals[i] for vals in per_pair]) for i in range(len(settings))]
            monotonic = all(a is not None and b is not None and ((b < a) if direction == "down" else (b > a))
                            for a, b in itertools.pairwise(medians))
            out.setdefault(str(n), {})[f"{knob} ({measure})"] = {
                "settings": settings, "medians": medians, "monotonic": monotonic, "wrong_way": wrong,
                "moved": moved, "pairs": len(complete)}
            print(f"type {n}  {knob:<20} {measure:<18} " + "  ".join(
                f"{s}: {_fmt(v, '.3f')}" for s, v in zip(settings, medians, strict=True))
                + f"   medians {'monotonic' if monotonic else 'NOT monotonic'} ({direction}); pairs moved "
                  f"{moved}/{len(complete)}, the wrong way {wrong}")
    return out


# --- sizes: each in a fresh process, so its peak memory is its own ----------------------------

def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _probe(path: str, which: str) -> dict:
    """One fuse of the template at ``path`` in this (fresh) process: timings and the memory the call
    added at its peak — the kernel's high-water mark (VmHWM, reset just before through
    /proc/self/clear_refs) over the resident size before the call."""
    from fusion.engine import Label, get_engine, ultra
    from fusion.engine.types import FaceMapping

    engine = get_engine()
    user = (DEFAULT_FACES / "cruz.jpg").read_bytes()
    warm = ultra.open_template(_fit((DEFAULT_FACES / "obama.jpg").read_bytes(), 640))
    ultra.fuse(engine, warm, ultra.find_faces(engine, warm), [ultra.UltraMapping(source=user)])
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current resident size
    before = _status_kb("VmRSS")
    data = Path(path).read_bytes()
    t0 = time.perf_counter()
    if which == "ultra":
        tmpl = ultra.open_template(data)
        found = ultra.find_faces(engine, tmpl)
        t1 = time.perf_counter()
        ultra.perceptual_hash_of(found.small)
        t2 = time.perf_counter()
        out, _r = ultra.fuse(engine, tmpl, found, [ultra.UltraMapping(source=user)], label=Label())
        timings = {"decode_ms": tmpl.timings["decode_ms"], "faces_ms": tmpl.timings["faces_ms"],
                   "hash_ms": (t2 - t1) * 1000, "fuse_ms": tmpl.timings["fuse_ms"],
                   "encode_ms": tmpl.timings["encode_ms"]}
    else:  # FuseFace's path: analyse the template as the review does, then Engine.fuse
        record = engine.analyse_template(data)
        t1 = time.perf_counter()
        out = engine.fuse(template=data, record=record, mappings=[FaceMapping(source=user)], label=Label())
        timings = {"analyse_ms": (t1 - t0) * 1000, "fuse_ms": (time.perf_counter() - t1) * 1000}
    total = (time.perf_counter() - t0) * 1000
    peak = _status_kb("VmHWM")
    return {**timings, "total_ms": total, "added_mb": (peak - before) / 1024, "out_mb": len(out) / 2**20,
            "in_mb": len(data) / 2**20}


def sizes(faces: Path) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    base = (faces / "obama.jpg").read_bytes()
    out = {}
    print("\n== template size: one face, JPEG, each call in a fresh process (peak memory it added) ==")
    print(f"{'side':>5} {'path':<9} {'in MB':>6} {'decode':>7} {'faces':>7} {'hash':>5} {'fuse':>7} {'encode':>7} "
          f"{'total':>7} {'+MB':>6}")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    for side in SIZES:
        path = OUT / f"template_{side}.jpg"
        path.write_bytes(_fit(base, side))
        for which in ("ultra", "fuseface"):
            if which == "fuseface" and side > 4096:
                continue  # FuseFace's templates are at most 4096 px: its decoder refuses this one
            done = subprocess.run([sys.executable, "-m", "bench.ultra", "--probe", str(path), which],
                                  capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
            if done.returncode != 0:
                print(f"{side:>5} {which:<9} failed: {done.stderr[-400:]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            out[f"{side}-{which}"] = r
            print(f"{side:>5} {which:<9} {r['in_mb']:>6.2f} {_fmt(r.get('decode_ms'), '.0f'):>7} "
                  f"{_fmt(r.get('faces_ms', r.get('analyse_ms')), '.0f'):>7} {_fmt(r.get('hash_ms'), '.0f'):>5} "
                  f"{r['fuse_ms']:>7.0f} {_fmt(r.get('encode_ms'), '.0f'):>7} {r['total_ms']:>7.0f} "
                  f"{r['added_mb']:>6.0f}")
    print("(ultra: decode, faces = detection + meshes + embeddings, hash, fuse = user photo + faces + label, "
          "encode; fuseface: analyse = the review's template analysis, fuse = decode + fuse + encode)")
    return out


# --- the check against the operators' lists ---------------------------------------------------

def screening(faces: Path) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_ENV", "test")
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/ronghe_bench")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from console.services import account_create
    from fusion.engine import get_engine, ultra
    from materials.models import Material, MaterialStatus, ProtectedImage, PublicFigure, PublicFigurePhoto
    from materials.screening import template_screen

    call_command("migrate", verbosity=0)
    engine = get_engine()
    rng = np.random.default_rng(7)
    tmpl = ultra.open_template(_fit((faces / "obama.jpg").read_bytes(), 1080))
    t0 = time.perf_counter()
    found = ultra.find_faces(engine, tmpl)
    faces_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    phash = ultra.perceptual_hash_of(found.small)
    hash_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    for f in found.faces:
        ultra._embedding(engine, tmpl, f.box)
    embed_ms = (time.perf_counter() - t0) * 1000
    face_list = [(f.face_id, f.embedding or []) for f in found.faces]
    out: dict = {"faces_ms": faces_ms, "embedding_ms": embed_ms, "hash_ms": hash_ms, "lists": {}}
    print("\n== the template check (materials.screening.template_screen), one face, 1,000 protected images and "
          "1,000 rejected materials of the account ==")
    print(f"engine's part: faces found with embeddings {faces_ms:.0f} ms (of which embeddings {embed_ms:.0f} ms), "
          f"hash {hash_ms:.1f} ms")

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            account = account_create(name="bench-screen", owner_username=f"bench-screen-{os.getpid()}",
                                     owner_password="bench-password-9", owner_email="bench@example.com")
            ProtectedImage.objects.bulk_create(ProtectedImage(name=f"p{i}", image="x.jpg",
                                                              phash=f"{int(rng.integers(0, 2**63)):016x}")
                                               for i in range(1000))
            from campaigns.services import campaign_create

            owner = account.members.get().user
            campaign = campaign_create(account=account, actor=owner, name="bench", version="faceswap")
            Material.objects.bulk_create(Material(account=account, campaign=campaign, name=f"m{i}", image="x.jpg",
                                                  image_format="JPEG", width=100, height=100, byte_size=1,
                                                  status=MaterialStatus.MANUAL_FAILED,
                                                  phash=f"{int(rng.integers(0, 2**63)):016x}")
                                         for i in range(1000))
            figure = PublicFigure.objects.create(name="bench")
            have = 0
            for size in (0, 1000, 10000):
                PublicFigurePhoto.objects.bulk_create(
                    PublicFigurePhoto(figure=figure, image="x.jpg",
                                      embedding=[float(v) for v in rng.normal(0, 0.1, 128)])
                    for _ in range(size - have))
                have = size
                template_screen(account=account, faces=face_list, phash=phash)  # loads the gallery's matrix
                runs = []
                for _ in range(20):
                    t0 = time.perf_counter()
                    template_screen(account=account, faces=face_list, phash=phash)
                    runs.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                from materials.screening import _gallery

                _gallery.key = None
                template_screen(account=account, faces=face_list, phash=phash)
                cold = (time.perf_counter() - t0) * 1000
                out["lists"][size] = {"median_ms": statistics.median(runs), "cold_ms": cold}
                print(f"gallery {size:>6} photos: {statistics.median(runs):6.1f} ms a call (median of 20; "
                      f"{cold:.0f} ms when the gallery changed and its matrix is reloaded)")
            raise Rollback
    except Rollback:
        pass
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ultra", description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    ap.add_argument("--no-knobs", action="store_true")
    ap.add_argument("--no-sizes", action="store_true")
    ap.add_argument("--no-screen", action="store_true")
    ap.add_argument("--probe", nargs=2, metavar=("PATH", "WHICH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    if args.probe:
        print(json.dumps(_probe(*args.probe)))
        return 0
    from fusion.engine import get_engine

    engine = get_engine()
    results: dict = {"load": os.getloadavg()[0]}
    print(f"FuseFaceUltra bench; load average {results['load']:.2f} (2 cores)")
    prepared = _prepare(engine, args.faces)
    results["model_types"] = model_types(engine, prepared, 1080)
    # Large templates: the faces are wider than the work widths, where the types' resolutions differ.
    results["model_types_3000"] = model_types(engine, _prepare(engine, args.faces, 3000), 3000)
    if not args.no_knobs:
        results["knobs"] = knobs(engine, prepared, _prepare_long_chin(engine, args.faces), [1, 2, 3, 4, 5])
    if not args.no_sizes:
        results["sizes"] = sizes(args.faces)
    if not args.no_screen:
        results["screening"] = screening(args.faces)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ultra.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}; figures in {OUT / 'ultra.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
