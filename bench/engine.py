"""Engine benchmark: v1 ("before") and v2 side by side, in one run, on a folder of face photos.

    python -m bench.engine [--faces DIR] [--reps N] [--out DIR] [--no-versions] [--no-knobs]
                           [--json]

For every ordered (source, template) pair of distinct photos, with the template fitted to 1080 px
on its long side and analysed beforehand, both methods fuse the source into the template's
largest face ("faceswap"). "before" is v1's fusion (bench/v1, frozen) fed with 68 points mapped
from the MediaPipe mesh; dlib's 68-point model is never loaded. Per method it prints:

* identity: the dlib embedding distance of the result's face to the user's photo (median), and
  the share of pairs whose result face is found and under 0.6 (the same person);
* scene SSIM outside the template face's hull and outside the visible label's box (median, min);
* sharpness ratio: the variance of the Laplacian of the result's grey face inside the template
  face's hull eroded by 6% of the face width, divided by the smaller of the same measure on the
  template face and on the source face scaled to the template face's width (1.0 = as crisp as
  the inputs allow; median, min, max);
* warm fuse time: Engine.fuse from bytes to bytes, OpenCV on one thread (median of the pairs'
  medians, p95), as wall-clock time and as this process's CPU time (what one core costs,
  whatever else the machine runs; the load average is printed at the start and the end).

Then v2's other versions (degrees monotonic) and its knobs (FuseOptions), each knob's measure at
its settings. A contact sheet per pair goes to var/bench/ (source, template, both results, and
1:1 crops of the face); the figures go to var/bench/engine.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from bench.v1 import fuse_v1
from fusion.engine import (
    DecodedImage,
    Engine,
    EngineError,
    FaceMapping,
    FuseOptions,
    Label,
    TemplateRecord,
    get_engine,
    imageio,
)
from fusion.engine import meshdata as md
from fusion.engine.labels import visible_label_box

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FACES = REPO / "tests" / "faces"
DEFAULT_OUT = REPO / "var" / "bench"
METHODS = ("v1", "v2")
LEVELS = {"reinvent": (10, 30, 50, 70, 90), "redefine": (10, 30, 50, 70, 90)}
SHARPNESS_RANGE = (0.95, 1.3)
TARGETS: dict[str, float] = {
    "sharpness_min": 0.7,
    "identity": 0.40,
    "same_person": 1.0,
    "ssim": 0.98,
    "ms": 120.0,
}


@dataclass
class Outcome:
    source: str
    template: str
    method: str
    ms: float | None = None  # wall clock
    cpu_ms: float | None = None  # this process's CPU time: what one core costs, whatever else runs
    identity: float | None = None
    detected: bool = False
    ssim: float | None = None
    sharpness: float | None = None
    error: str | None = None


@dataclass
class Template:
    data: bytes
    record: TemplateRecord
    gray: np.ndarray
    mesh: np.ndarray  # the largest face's


@dataclass
class Source:
    data: bytes
    embedding: list[float]
    gray: np.ndarray
    mesh: np.ndarray


@dataclass
class Results:
    outcomes: list[Outcome] = field(default_factory=list)
    versions: dict[str, dict] = field(default_factory=dict)
    knobs: dict[str, list] = field(default_factory=dict)


def fit_long_side(data: bytes, long_side: int = 1080) -> bytes:
    img = imageio.decode(data)
    h, w = img.pixels.shape[:2]
    s = long_side / max(h, w)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    px = cv2.resize(img.pixels, (round(w * s), round(h * s)), interpolation=interp)
    return imageio.encode(px, img.format, quality=95)


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.astype(np.float32)
    b = b.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    ma, mb = blur(a), blur(b)
    va = blur(a * a) - ma * ma
    vb = blur(b * b) - mb * mb
    cov = blur(a * b) - ma * mb
    return ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))


def hull_mask(shape: tuple[int, int], pts: np.ndarray, erode_px: float = 0.0) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(pts[:, :2]).astype(np.int32)), 255)
    r = round(erode_px)
    if r > 0:
        return cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) > 0
    return mask > 0


def face_width(mesh: np.ndarray) -> float:
    return float(np.ptp(mesh[md.FACE_OVAL, 0])) or 1.0


def lap_var(gray: np.ndarray, mask: np.ndarray) -> float:
    v = cv2.Laplacian(gray, cv2.CV_64F)[mask]
    return float(v.var()) if v.size else 0.0


def scene_mask(record: TemplateRecord, mesh: np.ndarray) -> np.ndarray:
    """Outside the template face's hull and outside the visible label's box."""
    mask = ~hull_mask((record.height, record.width), mesh)
    x, y, w, h = visible_label_box(record.width, record.height)
    mask[y : y + h, x : x + w] = False
    return mask


def source_sharpness(src: Source, width: float) -> float:
    """The source face's Laplacian variance once scaled to the template face's width."""
    k = width / face_width(src.mesh)
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    gray = cv2.resize(src.gray, None, fx=k, fy=k, interpolation=interp)
    pts = (src.mesh[:, :2] + 0.5) * k - 0.5
    return lap_var(gray, hull_mask(gray.shape, pts, 0.06 * width))


def sharpness_ratio(result_gray: np.ndarray, tmpl: Template, src: Source) -> float:
    width = face_width(tmpl.mesh)
    inside = hull_mask(tmpl.gray.shape, tmpl.mesh, 0.06 * width)
    ref = min(lap_var(tmpl.gray, inside), source_sharpness(src, width))
    return lap_var(result_gray, inside) / max(ref, 1e-6)


def face_near(engine: Engine, pixels: np.ndarray, box: tuple[int, int, int, int]) -> list[float] | None:
    """The embedding of the result's face at the template face's box (analysed on a crop around it)."""
    x, y, w, h = box
    H, W = pixels.shape[:2]
    x0, y0, x1, y1 = max(0, x - w), max(0, y - h), min(W, x + 2 * w), min(H, y + 2 * h)
    crop = DecodedImage(pixels=np.ascontiguousarray(pixels[y0:y1, x0:x1]), format="PNG",
                                width=x1 - x0, height=y1 - y0)
    try:
        faces = engine.faces_in(crop, thorough=True, with_embeddings=True)
    except EngineError:
        return None
    cx, cy = x + w / 2 - x0, y + h / 2 - y0
    f = min(faces, key=lambda f: abs(f.box[0] + f.box[2] / 2 - cx) + abs(f.box[1] + f.box[3] / 2 - cy))
    if abs(f.box[0] + f.box[2] / 2 - cx) > w / 2 or abs(f.box[1] + f.box[3] / 2 - cy) > h / 2:
        return None
    return f.embedding


def dist(a: list[float] | np.ndarray, b: list[float] | np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


class Bench:
    def __init__(self, engine: Engine, faces: Path, reps: int, out: Path) -> None:
        self.engine = engine
        self.faces = faces
        self.reps = reps
        self.out = out
        self.templates: dict[str, Template] = {}
        self.sources: dict[str, Source] = {}

    def template(self, name: str) -> Template:
        if name not in self.templates:
            data = fit_long_side((self.faces / name).read_bytes())
            record = self.engine.analyse_template(data)
            face = record.face(None)
            assert face is not None
            gray = cv2.cvtColor(imageio.decode(data).pixels, cv2.COLOR_BGR2GRAY)
            self.templates[name] = Template(data, record, gray, face.mesh_array())
        return self.templates[name]

    def source(self, name: str) -> Source:
        if name not in self.sources:
            data = (self.faces / name).read_bytes()
            img = imageio.decode(data)
            face = self.engine.faces_in(img, thorough=False)[0]
            self.sources[name] = Source(
                data, self.engine.embedding_of(data), cv2.cvtColor(img.pixels, cv2.COLOR_BGR2GRAY), face.mesh_array()
            )
        return self.sources[name]

    def fuse(self, method: str, tmpl: Template, src: Source, **kw) -> tuple[bytes, np.ndarray]:
        mappings = [FaceMapping(source=src.data)]
        if method == "v1":
            return fuse_v1(self.engine, template=tmpl.data, record=tmpl.record, mappings=mappings, **kw)
        label = kw.pop("label", Label())
        _t, canvas, _r = self.engine.render(
            template=tmpl.data, record=tmpl.record, mappings=mappings, label=label, **kw
        )
        return self.engine.encode_result(_t, canvas, label), canvas

    def timed(self, method: str, tmpl: Template, src: Source) -> tuple[float, float]:
        """Median wall-clock and CPU milliseconds of a warm fuse, bytes to bytes."""
        mappings = [FaceMapping(source=src.data)]
        wall, cpu = [], []
        for _ in range(self.reps):
            t0, c0 = time.perf_counter(), time.process_time()
            if method == "v1":
                fuse_v1(self.engine, template=tmpl.data, record=tmpl.record, mappings=mappings)
            else:
                self.engine.fuse(template=tmpl.data, record=tmpl.record, mappings=mappings)
            wall.append((time.perf_counter() - t0) * 1000.0)
            cpu.append((time.process_time() - c0) * 1000.0)
        return statistics.median(wall), statistics.median(cpu)

    def run_pair(self, source: str, template: str) -> tuple[list[Outcome], dict[str, np.ndarray]]:
        tmpl, src = self.template(template), self.source(source)
        t_face = tmpl.record.face(None)
        assert t_face is not None
        outcomes, pixels = [], {}
        for method in METHODS:
            res = Outcome(source=source, template=template, method=method)
            try:
                out, _canvas = self.fuse(method, tmpl, src)  # the warm-up
                res.ms, res.cpu_ms = self.timed(method, tmpl, src)
            except EngineError as exc:
                res.error = exc.code
                outcomes.append(res)
                continue
            img = imageio.decode(out).pixels
            pixels[method] = img
            gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            emb = face_near(self.engine, img, t_face.box)
            res.detected = emb is not None
            res.identity = None if emb is None else dist(emb, src.embedding)
            res.ssim = float(ssim_map(gray, tmpl.gray)[scene_mask(tmpl.record, tmpl.mesh)].mean())
            res.sharpness = sharpness_ratio(gray, tmpl, src)
            outcomes.append(res)
        return outcomes, pixels

    def contact_sheet(self, source: str, template: str, pixels: dict[str, np.ndarray]) -> Path:
        tmpl = self.template(template)
        src_px = imageio.decode(self.source(source).data).pixels
        tmpl_px = imageio.decode(tmpl.data).pixels
        height = 320
        row1 = [_tile(src_px, "source", height), _tile(tmpl_px, "template", height)]
        row1 += [_tile(pixels[m], _METHOD_TITLE[m], height) for m in METHODS if m in pixels]
        x, y, w, h = tmpl.record.face(None).box  # type: ignore[union-attr]
        m = int(0.35 * max(w, h))
        H, W = tmpl_px.shape[:2]
        crop = (slice(max(0, y - m), min(H, y + h + m)), slice(max(0, x - m), min(W, x + w + m)))
        row2 = [_titled(np.ascontiguousarray(tmpl_px[crop]), "template 1:1")]
        for k in METHODS:
            if k in pixels:
                row2.append(_titled(np.ascontiguousarray(pixels[k][crop]), f"{_METHOD_TITLE[k]} 1:1"))
        sheet = _stack([_hstack(row1), _hstack(row2)])
        path = self.out / f"{Path(template).stem}__{Path(source).stem}.png"
        cv2.imwrite(str(path), sheet)
        return path

    def versions(self, names: list[str]) -> dict[str, dict]:
        """v2's morph versions: identity at the default degrees, and whether raising
        FuseFaceDegree ever brought the result closer to the user."""
        out: dict[str, dict] = {}
        for version, levels in LEVELS.items():
            ids, mono, checked = [], 0, 0
            for template, source in itertools.permutations(names, 2):
                tmpl, src = self.template(template), self.source(source)
                t_face = tmpl.record.face(None)
                assert t_face is not None and t_face.embedding is not None
                _o, px = self.fuse("v2", tmpl, src, version=version, label=Label(visible=False))
                emb = face_near(self.engine, px, t_face.box)
                if emb is not None:
                    ids.append(dist(emb, src.embedding))
                # Between two photos of one person the distance to the user is noise at every degree.
                if dist(t_face.embedding, src.embedding) <= 0.5:
                    continue
                d_user = []
                for level in levels:
                    _o, px = self.fuse("v2", tmpl, src, version=version, face_degree=level, label=Label(visible=False))
                    e = face_near(self.engine, px, t_face.box)
                    d_user.append(dist(e, src.embedding) if e is not None else float("inf"))
                checked += 1
                # 0.01 is the embedding's own noise between two encodings of one picture.
                mono += all(b >= a - 0.01 for a, b in itertools.pairwise(d_user))
            out[version] = {
                "identity_median": statistics.median(ids) if ids else None,
                "monotonic": mono,
                "checked": checked,
                "levels": list(levels),
            }
        return out

    def knobs(self, pairs: list[tuple[str, str]]) -> dict[str, list]:
        """Each FuseOptions knob at its settings, with the measure it moves (medians over pairs)."""
        rows: dict[str, list] = {}

        def measure(name: str, settings: list, make, metric) -> None:
            values = []
            for setting in settings:
                per_pair = []
                for source, template in pairs:
                    tmpl, src = self.template(template), self.source(source)
                    _o, px = self.fuse("v2", tmpl, src, options=make(setting), label=Label(visible=False))
                    v = metric(px, tmpl, src)
                    if v is not None:
                        per_pair.append(v)
                values.append((setting, statistics.median(per_pair) if per_pair else None))
            rows[name] = values

        def identity(px, tmpl, src):
            e = face_near(self.engine, px, tmpl.record.face(None).box)
            return None if e is None else dist(e, src.embedding)

        def sharp(px, tmpl, src):
            return sharpness_ratio(cv2.cvtColor(px, cv2.COLOR_BGR2GRAY), tmpl, src)

        def skin_detail(px, tmpl, src):
            width = face_width(tmpl.mesh)
            gray = cv2.cvtColor(px, cv2.COLOR_BGR2GRAY)
            return lap_var(gray, _cheeks(gray.shape, tmpl.mesh, width))

        def lip_gap(px, tmpl, src):
            """LAB distance of the result's lip colour to the template's."""
            tpx = imageio.decode(tmpl.data).pixels
            lips = _lips(tpx.shape[:2], tmpl.mesh)
            a = cv2.cvtColor(px, cv2.COLOR_BGR2LAB)[lips].astype(np.float64).mean(0)
            b = cv2.cvtColor(tpx, cv2.COLOR_BGR2LAB)[lips].astype(np.float64).mean(0)
            return float(np.linalg.norm(a[1:] - b[1:]))

        def teeth_light(px, tmpl, src):
            hole = hull_mask(px.shape[:2], tmpl.mesh[md.LIPS_INNER])
            if hole.sum() < 30:
                return None
            lab = cv2.cvtColor(px, cv2.COLOR_BGR2LAB)[hole].astype(np.float64)
            return float(np.percentile(lab[:, 0], 75) - 0.5 * np.percentile(lab[:, 2], 75))

        measure("warp (identity distance)", [0.0, 0.5, 1.0], lambda v: FuseOptions(warp=v), identity)
        measure("enhance (sharpness ratio)", [0.0, 0.5, 1.0], lambda v: FuseOptions(enhance=v), sharp)
        measure("smooth (cheek Laplacian var)", [0.0, 0.5, 1.0], lambda v: FuseOptions(smooth=v), skin_detail)
        measure("makeup (lip colour to template)", [False, True], lambda v: FuseOptions(makeup=v), lip_gap)
        measure("teeth (L - b/2 in the mouth)", [False, True], lambda v: FuseOptions(teeth=v), teeth_light)
        return rows


def _cheeks(shape: tuple[int, int], mesh: np.ndarray, width: float) -> np.ndarray:
    mask = hull_mask(shape, mesh[md.FACE_OVAL], 0.08 * width)
    for loop in (md.LIPS_OUTER, md.RIGHT_EYE, md.LEFT_EYE, md.RIGHT_BROW, md.LEFT_BROW):
        mask &= ~hull_mask(shape, mesh[loop])
    return mask


def _lips(shape: tuple[int, int], mesh: np.ndarray) -> np.ndarray:
    outer = np.zeros(shape, np.uint8)
    cv2.fillPoly(outer, [np.round(mesh[md.LIPS_OUTER, :2]).astype(np.int32)], 255)
    cv2.fillPoly(outer, [np.round(mesh[md.LIPS_INNER, :2]).astype(np.int32)], 0)
    return outer > 0


_METHOD_TITLE = {"v1": "before (v1)", "v2": "after (v2)"}


def _titled(img: np.ndarray, title: str) -> np.ndarray:
    out = img.copy()
    cv2.putText(out, title, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, title, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _tile(img: np.ndarray, title: str, height: int) -> np.ndarray:
    s = height / img.shape[0]
    small = cv2.resize(img, (max(1, round(img.shape[1] * s)), height), interpolation=cv2.INTER_AREA)
    return _titled(small, title)


def _hstack(tiles: list[np.ndarray]) -> np.ndarray:
    h = max(t.shape[0] for t in tiles)
    return np.hstack([np.pad(t, ((0, h - t.shape[0]), (0, 4), (0, 0)), constant_values=255) for t in tiles])


def _stack(rows: list[np.ndarray]) -> np.ndarray:
    w = max(r.shape[1] for r in rows)
    return np.vstack([np.pad(r, ((0, 4), (0, w - r.shape[1]), (0, 0)), constant_values=255) for r in rows])


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(q / 100.0 * (len(v) - 1))))]


def fmt(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def summary(outcomes: list[Outcome], method: str) -> dict[str, float | int | None]:
    rs = [o for o in outcomes if o.method == method]
    ids = [o.identity for o in rs if o.identity is not None]
    sharp = [o.sharpness for o in rs if o.sharpness is not None]
    ssim = [o.ssim for o in rs if o.ssim is not None]
    ms = [o.ms for o in rs if o.ms is not None]
    cpu = [o.cpu_ms for o in rs if o.cpu_ms is not None]
    same = sum(1 for o in rs if o.detected and o.identity is not None and o.identity < 0.6)
    return {
        "pairs": len(rs),
        "identity_median": statistics.median(ids) if ids else None,
        "same_person": same / len(rs) if rs else None,
        "ssim_median": statistics.median(ssim) if ssim else None,
        "ssim_min": min(ssim) if ssim else None,
        "sharpness_median": statistics.median(sharp) if sharp else None,
        "sharpness_min": min(sharp) if sharp else None,
        "sharpness_max": max(sharp) if sharp else None,
        "ms_median": statistics.median(ms) if ms else None,
        "ms_p95": pct(ms, 95) if ms else None,
        "cpu_ms_median": statistics.median(cpu) if cpu else None,
        "cpu_ms_p95": pct(cpu, 95) if cpu else None,
        "errors": sum(1 for o in rs if o.error),
    }


def print_summary(results: Results) -> None:
    s = {m: summary(results.outcomes, m) for m in METHODS}
    lo, hi = SHARPNESS_RANGE
    rows = [
        ("identity distance, median", "identity_median", ".3f", f"<= {TARGETS['identity']}"),
        ("same person (found, < 0.6)", "same_person", ".0%", "100%"),
        ("scene SSIM outside hull and label, median", "ssim_median", ".4f", f">= {TARGETS['ssim']}"),
        ("scene SSIM, min", "ssim_min", ".4f", ""),
        ("sharpness ratio, median", "sharpness_median", ".2f", f"{lo}-{hi}"),
        ("sharpness ratio, min", "sharpness_min", ".2f", f">= {TARGETS['sharpness_min']}"),
        ("sharpness ratio, max", "sharpness_max", ".2f", ""),
        ("warm fuse ms, median (1 thread, wall)", "ms_median", ".1f", f"<= {TARGETS['ms']:.0f}"),
        ("warm fuse ms, p95 (wall)", "ms_p95", ".1f", ""),
        ("warm fuse CPU ms, median (one core)", "cpu_ms_median", ".1f", f"<= {TARGETS['ms']:.0f}"),
        ("warm fuse CPU ms, p95", "cpu_ms_p95", ".1f", ""),
    ]
    print(f"\n== before (v1 method, mesh-mapped 68 points) vs after (v2), {s['v2']['pairs']} pairs ==")
    print(f"{'measure':<42} {'before':>9} {'after':>9}  target")
    for title, key, spec, target in rows:
        print(f"{title:<42} {fmt(s['v1'][key], spec):>9} {fmt(s['v2'][key], spec):>9}  {target}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    ap.add_argument("--reps", type=int, default=5, help="timed fuses per pair and method (after one warm-up)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--no-versions", action="store_true", help="skip the morph versions' degree check")
    ap.add_argument("--no-knobs", action="store_true", help="skip the knobs' table")
    ap.add_argument("--json", action="store_true", help="print per-pair results as JSON lines too")
    args = ap.parse_args(argv)

    # One core's figures: OpenCV's own thread pool off (scripts/bench.sh also pins BLAS to one thread).
    cv2.setNumThreads(1)
    names = sorted(p.name for p in args.faces.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if len(names) < 2:
        print(f"need at least two photos in {args.faces}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    engine = get_engine()
    bench = Bench(engine, args.faces, args.reps, args.out)
    print(f"engine warm-up {time.perf_counter() - t0:.2f} s; {len(names)} photos; 1080 px templates; "
          f"load average {load_before[0]:.2f} (2 cores)")
    results = Results()
    print(f"\n{'source':<22} {'template':<22} {'method':<6} {'ms':>6} {'cpu':>6} {'id':>6} {'ssim':>7} "
          f"{'sharp':>6} {'det':>4}")
    for template, source in itertools.product(names, names):
        if source == template:
            continue
        outcomes, pixels = bench.run_pair(source, template)
        results.outcomes += outcomes
        if pixels:
            bench.contact_sheet(source, template, pixels)
        for r in outcomes:
            print(f"{source:<22} {template:<22} {r.method:<6} {fmt(r.ms, '6.1f')} {fmt(r.cpu_ms, '6.1f')} "
                  f"{fmt(r.identity, '6.3f')} "
                  f"{fmt(r.ssim, '7.4f')} {fmt(r.sharpness, '6.2f')} {'yes' if r.detected else 'no':>4}"
                  + (f" {r.error}" if r.error else ""))
            if args.json:
                print(json.dumps(asdict(r)))
    print_summary(results)
    if not args.no_versions:
        results.versions = bench.versions(names)
        print("\n== v2 morph versions (default degrees; FuseFaceDegree raised over the levels) ==")
        for version, v in results.versions.items():
            print(f"{version:<9} identity median {fmt(v['identity_median'])}; never closer to the user as the "
                  f"degree rises over {v['levels']}: {v['monotonic']}/{v['checked']} pairs of two people")
    if not args.no_knobs:
        pairs = [(names[(i + 1) % len(names)], t) for i, t in enumerate(names)]
        results.knobs = bench.knobs(pairs)
        print(f"\n== v2 knobs (FuseOptions), medians over {len(pairs)} pairs ==")
        for name, values in results.knobs.items():
            print(f"{name:<34} " + "   ".join(f"{setting}: {fmt(v)}" for setting, v in values))
    load_after = os.getloadavg()
    print(f"\nload average at the end {load_after[0]:.2f}; contact sheets: {args.out}/<template>__<source>.png")
    (args.out / "engine.json").write_text(
        json.dumps(
            {
                "summary": {m: summary(results.outcomes, m) for m in METHODS},
                "pairs": [asdict(o) for o in results.outcomes],
                "versions": results.versions,
                "knobs": results.knobs,
                "load": [load_before[0], load_after[0]],
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
