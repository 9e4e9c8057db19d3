"""Helpers for the materials tests: real photos from tests/faces, shrunk to the material limits."""

import functools
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import FACES_DIR


def fit(name: str, *, side: int = 800, fmt: str = "JPEG", quality: int = 85, flip: bool = False) -> bytes:
    """A photo of the corpus within 1080×1080 and 500 KB."""
    img = Image.open(Path(FACES_DIR) / name).convert("RGB")
    img.thumbnail((side, side))
    if flip:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = io.BytesIO()
    img.save(out, fmt, quality=quality) if fmt == "JPEG" else img.save(out, fmt)
    data = out.getvalue()
    assert len(data) <= 500 * 1024, f"{name} still {len(data)} bytes"
    return data


def scan_pdf(text: str = "signed and stamped") -> bytes:
    """A real one-page PDF (fpdf2), as a scanner or a word processor makes it."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(text=text)
    return bytes(pdf.output())


def landscape(width: int = 640, height: int = 480) -> bytes:
    """A faceless picture: sky, hills and a sun, drawn from numbers."""
    y, x = np.mgrid[0:height, 0:width]
    sky = np.stack([90 + 100 * y / height, 150 + 60 * y / height, 235 - 20 * y / height], -1)
    hill = (y > height * 0.6 + 40 * np.sin(x / 60.0))[..., None]
    ground = np.stack([40 + 0 * x, 120 + 30 * np.cos(x / 25.0), 50 + 0 * x], -1)
    img = np.where(hill, ground, sky)
    sun = ((x - width * 0.8) ** 2 + (y - height * 0.2) ** 2) < (height * 0.08) ** 2
    img[sun] = [255, 220, 90]
    out = io.BytesIO()
    Image.fromarray(img.astype(np.uint8)).save(out, "JPEG", quality=90)
    return out.getvalue()


@functools.cache
def side_face() -> bytes:
    # cruz.jpg turned 40° about the head's vertical axis by its own face mesh (a geometric
    # transform, tests/engine/helpers.py): the pose estimate reads it as turned ~35°, a side face.
    from fusion.engine import get_engine
    from tests.engine.helpers import turned

    img = Image.open(io.BytesIO(turned(get_engine(), fit("cruz.jpg"), -40))).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Each tenant fixture creates five logins; the production hasher makes that seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_campaign():
    from campaigns.services import campaign_create

    def _make(tenant, name: str = "春节活动", version: str = "faceswap"):
        return campaign_create(account=tenant.account, actor=tenant.owner.user, name=name, version=version)

    return _make


@pytest.fixture
def make_material(make_campaign):
    from materials.review import material_review_run
    from materials.services import material_create

    def _make(tenant, data: bytes | None = None, *, campaign=None, review: bool = True, name: str = ""):
        campaign = campaign or make_campaign(tenant)
        material = material_create(account=tenant.account, campaign=campaign, actor=tenant.owner.user,
                                   data=data if data is not None else fit("astronaut_collins.png", side=512),
                                   name=name or "素材")
        if review:
            material = material_review_run(material_id=material.id)
        return material

    return _make
