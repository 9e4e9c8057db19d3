"""The media half of a backup and its manifest (config/backup.py, under scripts/backup.sh and
scripts/restore.sh): real files on local storage and in an S3 bucket (moto's server), a real
PostgreSQL for the migration state and the empty-database rule. The whole round trip of a busy
deployment is tests/chaos/test_backup.py."""

import json
import uuid
from pathlib import Path

import boto3
import psycopg
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from config.backup import BackupError, collect, database_prepare, restore_files, stored_names, verify
from tests.console.test_media_storage import moto_endpoint, s3_storage  # noqa: F401 - an S3 bucket on moto

pytestmark = pytest.mark.django_db

FILES = {"materials/1/a.png": b"\x89PNG a material", "fusion/results/2026/12/01/r.png": b"\x89PNG a result",
         "billing/invoices/发票.pdf": b"%PDF an invoice"}


def _backup(tmp_path: Path) -> tuple[Path, dict]:
    for name, data in FILES.items():
        assert default_storage.save(name, ContentFile(data)) == name
    dest = tmp_path / "backup"
    dest.mkdir()
    (dest / "db.dump").write_bytes(b"PGDMP a dump")
    return dest, collect(dest=dest, commit="abc123")


def _wipe() -> None:
    for name in list(stored_names()):
        default_storage.delete(name)


def test_it_writes_a_manifest_of_the_dump_every_file_and_the_migrations(tmp_path):
    dest, manifest = _backup(tmp_path)
    assert json.loads((dest / "manifest.json").read_text()) == manifest
    assert manifest["git_commit"] == "abc123" and ["console", "0001_initial"] in manifest["migrations"]
    assert manifest["database"]["bytes"] == len(b"PGDMP a dump")
    assert {f["name"]: f["bytes"] for f in manifest["files"]} == {n: len(d) for n, d in FILES.items()}
    assert verify(dest) == manifest
    with pytest.raises(BackupError, match="new folder"):
        collect(dest=dest, commit="abc123")


def test_it_refuses_a_changed_missing_or_newer_backup(tmp_path):
    dest, manifest = _backup(tmp_path)
    result = dest / "media" / "fusion/results/2026/12/01/r.png"
    result.write_bytes(b"\x89PNG another result")
    with pytest.raises(BackupError, match="sha256 differs"):
        verify(dest)
    result.unlink()
    with pytest.raises(BackupError, match="missing"):
        verify(dest)
    result.write_bytes(FILES["fusion/results/2026/12/01/r.png"])
    manifest["migrations"].append(["billing", "9999_from_the_future"])
    (dest / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match=r"billing\.9999_from_the_future"):
        verify(dest)
    (dest / "manifest.json").unlink()
    with pytest.raises(BackupError, match="no manifest"):
        verify(dest)


def test_it_restores_every_file_under_its_own_name_once(tmp_path):
    dest, manifest = _backup(tmp_path)
    _wipe()
    assert restore_files(src=dest, manifest=verify(dest)) == (3, 0)
    for name, data in FILES.items():
        assert default_storage.open(name, "rb").read() == data
    assert restore_files(src=dest, manifest=manifest) == (0, 3)  # again: nothing doubled
    default_storage.delete("materials/1/a.png")
    default_storage.save("materials/1/a.png", ContentFile(b"other content"))
    with pytest.raises(BackupError, match="other content"):
        restore_files(src=dest, manifest=manifest)


@pytest.mark.usefixtures("s3_storage")
def test_it_copies_a_bucket_out_and_into_another(tmp_path, settings):
    dest, _manifest = _backup(tmp_path)
    endpoint = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]
    assert sorted(stored_names()) == sorted(FILES)
    # Restore into a new, empty bucket.
    bucket = f"ronghe-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    default = dict(settings.STORAGES["default"])
    settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": {**default["OPTIONS"],
                                                                                 "bucket_name": bucket}}}
    assert not list(stored_names())
    assert restore_files(src=dest, manifest=verify(dest)) == (3, 0)
    for name, data in FILES.items():
        assert client.get_object(Bucket=bucket, Key=name)["Body"].read() == data


def test_it_creates_a_missing_database_and_refuses_one_with_tables():
    with pytest.raises(BackupError, match="restore into an empty database"):
        database_prepare(db=connection.settings_dict)
    name = f"ronghe_restore_{uuid.uuid4().hex[:8]}"
    fresh = {**connection.settings_dict, "NAME": name}
    try:
        assert database_prepare(db=fresh) == name
        assert database_prepare(db=fresh) == name  # exists now, and is empty
    finally:
        params = {k: connection.settings_dict[v] for k, v in
                  (("host", "HOST"), ("port", "PORT"), ("user", "USER"), ("password", "PASSWORD"))}
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
            conn.execute(f'drop database if exists "{name}"')
