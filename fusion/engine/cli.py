"""Command line: ``python -m fusion.engine analyse|fuse|fuse-many`` (one warm process per call)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from fusion.engine.engine import get_engine
from fusion.engine.errors import EngineError
from fusion.engine.fuse import VERSIONS
from fusion.engine.types import FaceMapping, Label, TemplateRecord


def _error(exc: EngineError) -> dict[str, str]:
    return {"error": exc.code, "message": exc.message_en, **({"detail": exc.detail} if exc.detail else {})}


def cmd_analyse(args: argparse.Namespace) -> int:
    engine = get_engine()
    try:
        faces = engine.analyse(Path(args.image).read_bytes(), with_embeddings=args.embeddings)
    except EngineError as exc:
        print(json.dumps(_error(exc), ensure_ascii=False))
        return 2
    print(
        json.dumps(
            {"faces": [f.to_json() for f in faces]}, ensure_ascii=False, indent=None if args.compact else 2
        )
    )
    return 0


def cmd_fuse(args: argparse.Namespace) -> int:
    engine = get_engine()
    try:
        template = Path(args.template).read_bytes()
        record = engine.analyse_template(template)
        out = engine.fuse(
            template=template,
            record=record,
            mappings=[
                FaceMapping(source=Path(args.source).read_bytes(), template_face_id=args.template_face)
            ],
            version=args.version,
            face_degree=args.face_degree,
            profile_degree=args.profile_degree,
            label=Label(visible=not args.no_label),
        )
    except EngineError as exc:
        print(json.dumps(_error(exc), ensure_ascii=False))
        return 2
    Path(args.out).write_bytes(out)
    print(json.dumps({"out": str(args.out), "bytes": len(out)}))
    return 0


def cmd_fuse_many(args: argparse.Namespace) -> int:
    engine = get_engine()
    corpus = Path(args.corpus)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records: dict[str, tuple[bytes, TemplateRecord] | EngineError] = {}
    failures = 0
    for lineno, raw in enumerate(Path(args.pairs).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            print(json.dumps({"line": lineno, "error": "BadLine", "message": "expected: SOURCE TEMPLATE"}))
            failures += 1
            continue
        source, template = parts
        result: dict[str, object] = {"line": lineno, "source": source, "template": template}
        try:
            if template not in records:
                data = (corpus / template).read_bytes()
                try:
                    records[template] = (data, engine.analyse_template(data))
                except EngineError as exc:
                    records[template] = exc
            entry = records[template]
            if isinstance(entry, EngineError):
                raise entry
            tdata, record = entry
            sdata = (corpus / source).read_bytes()
            t0 = time.perf_counter()
            out = engine.fuse(
                template=tdata,
                record=record,
                mappings=[FaceMapping(source=sdata)],
                version=args.version,
                face_degree=args.face_degree,
                profile_degree=args.profile_degree,
            )
            result["ms"] = round((time.perf_counter() - t0) * 1000.0, 1)
            ext = Path(template).suffix.lower() or (".png" if record.format == "PNG" else ".jpg")
            path = out_dir / f"{lineno}{ext}"
            path.write_bytes(out)
            result["out"] = str(path)
        except EngineError as exc:
            result.update(_error(exc))
            failures += 1
        except OSError as exc:
            result.update({"error": "FileError", "message": str(exc)})
            failures += 1
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 1 if failures else 0


def _fuse_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--version", choices=VERSIONS, default="faceswap")
    p.add_argument("--face-degree", type=int, default=None)
    p.add_argument("--profile-degree", type=int, default=None)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m fusion.engine", description="Ronghe face engine")
    sub = ap.add_subparsers(dest="command", required=True)

    a = sub.add_parser("analyse", help="print the faces of an image as JSON")
    a.add_argument("image")
    a.add_argument("--embeddings", action="store_true", help="include the 128-d embeddings")
    a.add_argument("--compact", action="store_true", help="one line of JSON")
    a.set_defaults(func=cmd_analyse)

    f = sub.add_parser("fuse", help="fuse a source face into a template")
    f.add_argument("--template", required=True)
    f.add_argument("--source", required=True)
    f.add_argument("--out", required=True)
    _fuse_options(f)
    f.add_argument("--template-face", default=None, help="template FaceId (default: the largest face)")
    f.add_argument("--no-label", action="store_true", help="no visible label (the XMP label stays)")
    f.set_defaults(func=cmd_fuse)

    m = sub.add_parser("fuse-many", help="fuse each 'SOURCE TEMPLATE' line of a pairs file")
    m.add_argument("--corpus", required=True)
    m.add_argument("--pairs", required=True)
    m.add_argument("--out-dir", required=True)
    _fuse_options(m)
    m.set_defaults(func=cmd_fuse_many)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
