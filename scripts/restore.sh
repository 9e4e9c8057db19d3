#!/usr/bin/env bash
# Restore a backup of scripts/backup.sh (README "Backup and restore"):  scripts/restore.sh SRC
#
# Into the deployment the environment names (DATABASE_URL, MEDIA_ROOT or S3_*), with its web and
# workers stopped: verify the manifest (the dump's and every file's sha256, migrations this code
# knows), create the database if missing (refusing one that has tables), pg_restore the dump, put
# every file back under its own name, and check that the restored schema is this code's (when it is
# older, run `manage.py migrate` next). PG_BIN: the folder of pg_restore when it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
src="${1:?usage: scripts/restore.sh SRC (a folder written by scripts/backup.sh)}"
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to restore into}"
pg_restore="${PG_BIN:+$PG_BIN/}pg_restore"
"$PYTHON" manage.py backup_restore verify "$src"
"$PYTHON" manage.py backup_restore database "$src"
"$pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction --dbname "$DATABASE_URL" "$src/db.dump"
"$PYTHON" manage.py backup_restore files "$src"
if ! "$PYTHON" manage.py migrate --check --noinput >/dev/null; then
  echo "restore: restored, but this code has migrations the backup's database lacks: run manage.py migrate" >&2
  exit 3
fi
echo "restore: done; the database's migrations are this code's"
