#!/usr/bin/env bash
# `make run`: the embedded default (SQLite, local files, filesystem Celery broker) with the
# production commands (scripts/worker.sh: fusion, tasks, video, beat; scripts/web.sh), each
# started again if it exits. Ctrl-C stops them all.
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

# Runs a command again whenever it exits, and says so at error level: a worker that dies comes back.
supervise() {
  local name=$1 child code
  shift
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
  while true; do
    "$@" &
    child=$!
    wait "$child" && code=0 || code=$?
    echo "[$(date '+%F %T')] ERROR run.sh: $name exited with status $code; starting it again in 1 s" >&2
    sleep 1
  done
}

log_dir="${RONGHE_VAR_DIR:-var}/log"
mkdir -p "$log_dir"
# The production commands (scripts/worker.sh): the fusion worker on every core, one for the rest, beat.
supervise fusion-worker bash scripts/worker.sh fusion >"$log_dir/fusion-worker.log" 2>&1 &
pids+=($!)
supervise tasks-worker bash scripts/worker.sh tasks >"$log_dir/worker.log" 2>&1 &
pids+=($!)
# Video: preprocessing of templates and video jobs' segments, on their own queues (README "Video face fusion").
supervise video-worker bash scripts/worker.sh video >"$log_dir/video-worker.log" 2>&1 &
pids+=($!)
supervise beat bash scripts/worker.sh beat >"$log_dir/beat.log" 2>&1 &
pids+=($!)

echo
echo "Ronghe console: http://127.0.0.1:$PORT/   (worker logs: $log_dir/fusion-worker.log, $log_dir/worker.log)"
echo
# The production web command (scripts/web.sh), on every address of this machine.
WEB_BIND="0.0.0.0:$PORT" WEB_THREADS=4 bash scripts/web.sh --access-logfile - &
pids+=($!)
wait "${pids[-1]}"
