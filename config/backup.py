"""Backups (README "Backup and restore"): the media half and the manifest, for scripts/backup.sh and
scripts/restore.sh, which run pg_dump and pg_restore around these.

A backup is a folder:

    db.dump          pg_dump --format=custom of the database
    media/<name>     every stored file, under its storage name (local folder or S3 bucket alike)
    manifest.json    written last: when, which commit, which migrations, the dump's and every
                     file's size and sha256

Files are copied after the dump, so every file a row of the dump names is in the backup (unless it
was deleted in between: a result whose TTL ended, a material deleted that second). Both storages go
through django-storages; an S3 bucket is listed through boto3 (the bucket of ``default_storage``),
since walking it folder by folder would cost a request per folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connection
from django.db.migrations.loader import MigrationLoader

MANIFEST = "manifest.json"
DUMP = "db.dump"
MEDIA = "media"
FORMAT = 1
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be trusted or restored here; the message says what and where."""


@dataclass(frozen=True)
class Copied:
    name: str
    bytes: int
    sha256: str


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return _digest(fh)


def _digest(fh: Any) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def stored_names(storage: Storage | None = None) -> Iterator[str]:
    """Every file's name in the storage, in no particular order."""
    storage = storage or default_storage
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:  # S3Storage
        location = (getattr(storage, "location", "") or "").strip("/")
        prefix = f"{location}/" if location else ""
        for obj in bucket.objects.filter(Prefix=prefix):
            if not obj.key.endswith("/"):
                yield obj.key[len(prefix):]
        return
    root = Path(storage.path(""))
    for folder, _dirs, files in os.walk(root):
        for name in files:
            yield (Path(folder) / name).relative_to(root).as_posix()


def applied_migrations() -> list[list[str]]:
    """The database's migration state, as [app, name] pairs in the order they were applied."""
    with connection.cursor() as cursor:
        cursor.execute("select app, name from django_migrations order by id")
        return [[app, name] for app, name in cursor.fetchall()]


def collect(*, dest: Path, commit: str, storage: Storage | None = None) -> dict[str, Any]:
    """Copy every stored file into ``dest/media`` and write the manifest (the dump is already there)."""
    storage = storage or default_storage
    dump = dest / DUMP
    if not dump.is_file():
        raise BackupError(f"{dump}: no database dump (scripts/backup.sh writes it first)")
    if (dest / MANIFEST).exists():
        raise BackupError(f"{dest / MANIFEST} exists: write each backup into a new folder")
    files = [_copy_out(storage, name, dest / MEDIA) for name in sorted(stored_names(storage))]
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "migrations": applied_migrations(),
        "database": {"file": DUMP, "bytes": dump.stat().st_size, "sha256": sha256_of(dump)},
        "files": [{"name": f.name, "bytes": f.bytes, "sha256": f.sha256} for f in files],
    }
    partial = dest / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    partial.rename(dest / MANIFEST)  # its presence says the backup is whole
    return manifest


def _copy_out(storage: Storage, name: str, media: Path) -> Copied:
    target = media / name
    if media.resolve() not in target.resolve().parents:
        raise BackupError(f"{name}: a stored name outside the media folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    with storage.open(name, "rb") as src, target.open("wb") as out:
        shutil.copyfileobj(src, out, CHUNK)
    return Copied(name, target.stat().st_size, sha256_of(target))


def verify(src: Path) -> dict[str, Any]:
    """The manifest, once the dump and every file match it and this code knows every migration it
    lists (a backup from newer code is refused: its schema has columns this code does not)."""
    path = src / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path}: no manifest (an unfinished backup, or not a backup folder)")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: format {manifest.get('format')!r}, this code reads {FORMAT}")
    problems = []
    db = manifest["database"]
    problems += _mismatch(src / db["file"], db["bytes"], db["sha256"])
    for entry in manifest["files"]:
        problems += _mismatch(src / MEDIA / entry["name"], entry["bytes"], entry["sha256"])
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, name in manifest["migrations"] if (app, name) not in known]
    if unknown:
        problems.append(f"migrations this code does not have (a backup of newer code): {', '.join(unknown[:10])}")
    if problems:
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise BackupError("; ".join(problems[:20]) + more)
    return manifest


def _mismatch(path: Path, size: int, sha: str) -> list[str]:
    if not path.is_file():
        return [f"{path}: missing"]
    if path.stat().st_size != size or sha256_of(path) != sha:
        return [f"{path}: size or sha256 differs from the manifest"]
    return []


def restore_files(*, src: Path, manifest: dict[str, Any], storage: Storage | None = None) -> tuple[int, int]:
    """Put every file of a verified backup back under its own name; (restored, already there).

    A file already stored with the same content is left; one with other content stops the restore
    (restore into empty storage, or the same backup again)."""
    storage = storage or default_storage
    restored = present = 0
    for entry in manifest["files"]:
        name, local = entry["name"], src / MEDIA / entry["name"]
        if storage.exists(name):
            with storage.open(name, "rb") as fh:
                digest = _digest(fh)
            if digest != entry["sha256"]:
                raise BackupError(f"{name}: already stored with other content; restore into empty storage")
            present += 1
            continue
        with local.open("rb") as fh:
            saved = storage.save(name, File(fh, name=name))
        if saved != name:
            storage.delete(saved)
            raise BackupError(f"{name}: the storage stored it as {saved}")
        restored += 1
    return restored, present


def database_prepare(*, db: dict[str, Any] | None = None) -> str:
    """Create the database (``DATABASE_URL``'s unless ``db`` names another) when it does not exist;
    refuse one that has tables. Its name, for the message."""
    import psycopg
    from django.conf import settings
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    config: dict[str, Any] = dict(db or settings.DATABASES["default"])
    if "postgresql" not in config["ENGINE"]:
        raise BackupError("backups are of PostgreSQL: set DATABASE_URL to a postgresql:// database")
    name = str(config["NAME"])

    def conninfo(dbname: str) -> str:
        return make_conninfo(dbname=dbname, host=config.get("HOST") or None, port=config.get("PORT") or None,
                             user=config.get("USER") or None, password=config.get("PASSWORD") or None,
                             connect_timeout=10)

    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            return name
    with psycopg.connect(conninfo(name)) as conn:
        tables = conn.execute("select count(*) from pg_tables where schemaname = 'public'").fetchone()
    if tables and tables[0]:
        raise BackupError(f"database {name} has {tables[0]} tables: restore into an empty database "
                          "(drop and create it, or point DATABASE_URL at a new one)")
    return name
