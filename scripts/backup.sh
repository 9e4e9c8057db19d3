#!/usr/bin/env bash
# Back up a deployment (README "Backup and restore"):  scripts/backup.sh DEST
#
# DEST is a new folder. Into it: db.dump (pg_dump, custom format: one consistent snapshot, taken
# while the deployment runs), then media/ (every stored file: the local MEDIA_ROOT or the S3 bucket,
# through the same settings as the app), then manifest.json (time, git commit, migration state, the
# dump's and every file's size and sha256), written last: a folder without it is not a backup.
# Reads the app's own environment (DATABASE_URL, MEDIA_ROOT or S3_*). PostgreSQL only.
# PG_BIN: the folder of pg_dump when it is not on PATH (its version at least the server's).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
dest="${1:?usage: scripts/backup.sh DEST (a new folder)}"
: "${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database to back up}"
pg_dump="${PG_BIN:+$PG_BIN/}pg_dump"
if [ -e "$dest" ] && [ -n "$(ls -A "$dest")" ]; then
  echo "backup: $dest is not empty: write each backup into a new folder" >&2
  exit 2
fi
mkdir -p "$dest"
commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
# The database first: the files copied after it include every file its rows name.
"$pg_dump" --format=custom --no-owner --no-privileges --file "$dest/db.dump" --dbname "$DATABASE_URL"
"$PYTHON" manage.py backup_collect "$dest" --commit "$commit"
