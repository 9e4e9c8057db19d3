"""``python manage.py backup_restore verify|database|files SRC``: the steps of scripts/restore.sh
around its pg_restore (config/backup.py):

- ``verify``: the manifest, the dump's and every file's checksum, and migrations this code knows;
- ``database``: create the database of ``DATABASE_URL`` if missing, refuse it if it has tables;
- ``files``: put every file back under its own name (verifying first).
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, database_prepare, restore_files, verify


class Command(BaseCommand):
    help = "Verify a backup folder, prepare an empty database for it, or restore its files."
    # The database may not exist yet (the ``database`` step creates it): no check may touch it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("step", choices=["verify", "database", "files"])
        parser.add_argument("src", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        src: Path = options["src"]
        try:
            if options["step"] == "database":
                self.stdout.write(f"database {database_prepare()} is empty")
                return
            manifest = verify(src)
            if options["step"] == "verify":
                self.stdout.write(f"backup {src} of {manifest['created_at']} (commit {manifest['git_commit']}): "
                                  f"the dump and {len(manifest['files'])} files match the manifest")
                return
            restored, present = restore_files(src=src, manifest=manifest)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"files: {restored} restored, {present} already there")
