"""No model with a non-commercial licence is loaded: dlib's 68-point predictor (iBUG 300-W) is
never opened, by the engine, the review or the benchmark's "before" column.

face-recognition-models installs the file, so the test watches the real file with inotify, which
sees every open by any code in the process, C++ included (dlib reads models with std::ifstream,
which Python's audit hooks do not see).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from fusion.engine import Engine, FaceMapping, Label, TemplateRecord, models
from tests.engine.helpers import distance

IN_OPEN = 0x20
IN_ACCESS = 0x01


class OpenWatch:
    """Counts the opens and reads of one file (inotify, non-blocking)."""

    def __init__(self, path: Path) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        assert self._fd >= 0, os.strerror(ctypes.get_errno())
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(path), IN_OPEN | IN_ACCESS)
        assert wd >= 0, os.strerror(ctypes.get_errno())

    def events(self) -> int:
        count = 0
        while True:
            try:
                buf = os.read(self._fd, 4096)
            except BlockingIOError:
                return count
            offset = 0
            while offset < len(buf):
                _wd, _mask, _cookie, length = struct.unpack_from("iIII", buf, offset)
                offset += 16 + length
                count += 1

    def close(self) -> None:
        os.close(self._fd)


@pytest.fixture
def watch_68():
    path = models.non_commercial_68_path()
    assert path.is_file()  # installed, so never opening it is a real claim
    w = OpenWatch(path)
    yield w
    w.close()


def test_it_sees_dlib_open_a_model_file(tmp_path: Path) -> None:
    # The watch itself works for C++ reads: a copy of the 5-point model, loaded by dlib.
    import dlib

    control = tmp_path / "five.dat"
    shutil.copyfile(models.model("five_points"), control)
    w = OpenWatch(control)
    try:
        assert w.events() == 0
        dlib.shape_predictor(str(control))
        assert w.events() > 0
    finally:
        w.close()


def test_it_never_opens_the_68_point_model_in_the_engine(watch_68, photo) -> None:
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
    assert watch_68.events() == 0


def test_it_never_opens_the_68_point_model_in_the_bench(watch_68, photo, engine: Engine) -> None:
    from bench.v1 import fuse_v1

    record = engine.analyse_template(photo("obama.jpg"))
    out, _pixels = fuse_v1(
        engine, template=photo("obama.jpg"), record=record, mappings=[FaceMapping(source=photo("cruz.jpg"))],
        label=Label(visible=False),
    )
    assert out[:3] == b"\xff\xd8\xff"
    assert watch_68.events() == 0


@pytest.mark.django_db
def test_it_never_opens_the_68_point_model_in_the_review(watch_68, photo) -> None:
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
    assert watch_68.events() == 0
