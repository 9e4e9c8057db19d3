#!/usr/bin/env bash
# `make run`: the embedded default (SQLite, local files, filesystem Celery broker) with a
# Celery worker and beat beside the web server. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT="${PORT:-8000}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://127.0.0.1:$PORT}"

$PY manage.py migrate --no-input -v 0
$PY manage.py collectstatic --no-input -v 0
$PY manage.py seed_demo

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

log_dir="${RONGHE_VAR_DIR:-var}/log"
mkdir -p "$log_dir"
.venv/bin/celery -A config worker -Q default,review,fusion,billing --concurrency 2 --loglevel INFO \
  >"$log_dir/worker.log" 2>&1 &
pids+=($!)
.venv/bin/celery -A config beat --loglevel INFO >"$log_dir/beat.log" 2>&1 &
pids+=($!)

echo
echo "Ronghe console: http://127.0.0.1:$PORT/   (worker log: $log_dir/worker.log)"
echo
.venv/bin/gunicorn config.wsgi --bind "0.0.0.0:$PORT" --workers 2 --threads 4 --timeout 60 \
  --access-logfile - &
pids+=($!)
wait "${pids[-1]}"
