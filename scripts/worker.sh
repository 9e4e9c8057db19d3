#!/usr/bin/env bash
# The production Celery commands, in one place: `make run`, the README and the fault tests run these.
#
#   scripts/worker.sh fusion   the fusion queue; one pool process per core (WORKER_CONCURRENCY overrides)
#   scripts/worker.sh tasks    the default, review and billing queues (TASKS_CONCURRENCY, default 2)
#   scripts/worker.sh video    video preprocessing and video jobs' segments (video-prep, video); one pool
#                              process per core (VIDEO_CONCURRENCY overrides)
#   scripts/worker.sh beat     the periodic tasks (one per deployment)
#
# Workers run without gossip, mingle and heartbeat: on the Redis transport those bootsteps are what
# kills or stalls a worker when the broker restarts (kombu #582, celery #8030), and nothing here uses
# them (no revokes shared between workers, no clock sync, no events). Reconnecting forever, at start
# too, is set in config/celery.py. Extra arguments are passed on to Celery (e.g. --loglevel DEBUG).
set -euo pipefail
cd "$(dirname "$0")/.."
CELERY="${CELERY:-.venv/bin/celery}"
role="${1:-}"
shift || true
common=(--without-gossip --without-mingle --without-heartbeat --loglevel "${LOG_LEVEL:-INFO}")
case "$role" in
  fusion)
    exec "$CELERY" -A config worker -Q fusion -n "fusion@%h" \
      --concurrency "${WORKER_CONCURRENCY:-$(nproc)}" "${common[@]}" "$@" ;;
  tasks)
    exec "$CELERY" -A config worker -Q default,review,billing -n "tasks@%h" \
      --concurrency "${TASKS_CONCURRENCY:-2}" "${common[@]}" "$@" ;;
  video)
    exec "$CELERY" -A config worker -Q video,video-prep -n "video@%h" \
      --concurrency "${VIDEO_CONCURRENCY:-$(nproc)}" "${common[@]}" "$@" ;;
  beat)
    exec "$CELERY" -A config beat --loglevel "${LOG_LEVEL:-INFO}" "$@" ;;
  *)
    echo "usage: scripts/worker.sh fusion|tasks|video|beat [celery options]" >&2
    exit 2 ;;
esac
