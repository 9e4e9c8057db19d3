"""No model with a non-commercial licence is shipped or loaded. dlib's 68-point predictor (iBUG
300-W) sits in the face-recognition-models archive beside the two public-domain dlib files we use;
`python -m fusion.engine.models install` copies only those out, so the 68-point file is nowhere in
the environment, and the engine, the review and the benchmark's "before" column open nothing but
the listed files.

The opens are watched with inotify on the models folder, which sees every open by any code in the
process, C++ included (dlib reads models with std::ifstream, which Python's audit hooks do not see).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import struct
import sys
from pathlib import Path
from typing import Any

import pytest

from fusion.engine import Engine, FaceMapping, Label, TemplateRecord, models
from tests.engine.helpers import distance

IN_OPEN = 0x20
LISTED = {m.filename for m in models.MODELS}


class OpenWatch:
    """The names of the files opened inside one folder (inotify, non-blocking)."""

    def __init__(self, folder: Path) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self._fd >= 0, os.strerror(ctypes.get_errno())
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(folder), IN_OPEN)
        assert wd >= 0, os.strerror(ctypes.get_errno())
        self.opened: set[str] = set()

    def names(self) -> set[str]:
        while True:
            try:
                buf = os.read(self._fd, 65536)
            except BlockingIOError:
                return self.opened
            offset = 0
            while offset < len(buf):
                _wd, _mask, _cookie, length = struct.unpack_from("iIII", buf, offset)
                name = buf[offset + 16:offset + 16 + length].rstrip(b"\0").decode()
                if name:
                    self.opened.add(name)
                offset += 16 + length

    def close(self) -> None:
        os.close(self._fd)


def test_the_68_point_model_is_nowhere_in_the_environment() -> None:
    assert importlib.util.find_spec("face_recognition_models") is None  # the package is not installed
    found = [p for p in Path(sys.prefix).rglob("shape_predictor_68*")]
    assert not found, found
    assert sorted(p.name for p in models.models_dir().iterdir()) == sorted(LISTED)


@pytest.fixture
def watch_models():
    w = OpenWatch(models.models_dir())
    yield w
    w.close()


def test_the_engine_opens_only_the_listed_model_files(watch_models, photo) -> None:
    engine = Engine()  # a fresh engine: it loads every model file it uses now
    record = engine.analyse_template(photo("two_people.jpg"))
    engine.fuse(
        template=photo("two_people.jpg"),
        record=record,
        mappings=[FaceMapping(source=photo("obama.jpg"), template_face_id=f.face_id) for f in record.faces],
    )
    emb = engine.embedding_of(photo("obama2.jpg"))
    assert distance(emb, engine.embedding_of(photo("obama.jpg"))) < 0.5
    old = TemplateRecord.from_json({**record.to_json(), "version": 1})
    engine.upgrade_record(engine.decode(photo("two_people.jpg")), old)
    # A fresh engine opened every file it uses, so the watch saw them: the listed ones and no other.
    assert watch_models.names() == LISTED


def test_the_bench_opens_only_the_listed_model_files(watch_models, photo, engine: Engine) -> None:
    from bench.v1 import fuse_v1

    record = engine.analyse_template(photo("obama.jpg"))
    out, _pixels = fuse_v1(
        engine, template=photo("obama.jpg"), record=record, mappings=[FaceMapping(source=photo("cruz.jpg"))],
        label=Label(visible=False),
    )
    assert out[:3] == b"\xff\xd8\xff"
    assert watch_models.names() <= LISTED


@pytest.mark.django_db
def test_the_review_opens_only_the_listed_model_files(watch_models, photo) -> None:
    from campaigns.services import campaign_create
    from materials.models import MaterialStatus
    from materials.review import material_review_run
    from materials.services import material_create
    from tests.conftest import _make_tenant

    tenant = _make_tenant("licence", "Licence 检查")
    account: Any = tenant.account
    user: Any = getattr(tenant.owner, "user")  # Tenant types its fields as object
    campaign = campaign_create(account=account, actor=user, name="审核", version="faceswap")
    material = material_create(account=account, campaign=campaign, actor=user, data=photo("astronaut_collins.png"),
                               name="素材")
    reviewed = material_review_run(material_id=material.id)
    assert reviewed is not None and reviewed.status == MaterialStatus.MACHINE_PASSED
    assert watch_models.names() <= LISTED
