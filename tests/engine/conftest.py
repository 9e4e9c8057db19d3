"""Fixtures for the engine tests: the face photos of tests/faces and one warm engine per session.

The engine imports nothing from Django, and these tests need no database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fusion.engine import Engine, TemplateRecord, get_engine
from tests.conftest import FACES_DIR


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return FACES_DIR


@pytest.fixture(scope="session")
def engine() -> Engine:
    return get_engine()


@pytest.fixture(scope="session")
def photo(faces_dir: Path):
    cache: dict[str, bytes] = {}

    def read(name: str) -> bytes:
        if name not in cache:
            cache[name] = (faces_dir / name).read_bytes()
        return cache[name]

    return read


@pytest.fixture(scope="session")
def template_record(engine: Engine, photo):
    cache: dict[str, TemplateRecord] = {}

    def get(name: str, data: bytes | None = None) -> TemplateRecord:
        key = name if data is None else f"{name}:{len(data)}"
        if key not in cache:
            cache[key] = engine.analyse_template(photo(name) if data is None else data)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def source_embedding(engine: Engine, photo):
    cache: dict[str, list[float]] = {}

    def get(name: str) -> list[float]:
        if name not in cache:
            cache[name] = engine.embedding_of(photo(name))
        return cache[name]

    return get
