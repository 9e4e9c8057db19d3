"""``python manage.py backup_collect DEST --commit SHA``: the second half of scripts/backup.sh, after
its pg_dump into ``DEST/db.dump``: copy every stored file and write the manifest (config/backup.py)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, collect


class Command(BaseCommand):
    help = "Copy every stored file into a backup folder holding db.dump, and write its manifest."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dest", type=Path)
        parser.add_argument("--commit", default="unknown", help="the code's git commit")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = collect(dest=options["dest"], commit=options["commit"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = sum(f["bytes"] for f in manifest["files"])
        self.stdout.write(f"backup {options['dest']}: database {manifest['database']['bytes']} bytes, "
                          f"{len(manifest['files'])} files ({size} bytes), "
                          f"{len(manifest['migrations'])} migrations, commit {manifest['git_commit']}")
