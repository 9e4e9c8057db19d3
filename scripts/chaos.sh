#!/usr/bin/env bash
# `make chaos`: the fault tests (tests/chaos). They start their own PostgreSQL (CHAOS_PG_PORT, 5443)
# and Redis (CHAOS_REDIS_PORT, 6395) from Debian's packages, gunicorn (CHAOS_WEB_PORT, 8151) and the
# production worker commands, and restart or kill them under load (and back one up, wipe it and restore
# it: test_backup.py). About four to five minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
export RONGHE_CHAOS=1
export DJANGO_ENV=test
export RONGHE_VAR_DIR="${RONGHE_VAR_DIR:-$(mktemp -d /tmp/ronghe-chaos.XXXXXX)}"
# The test process itself needs no database or Redis: everything it checks is in the stack's.
unset DATABASE_URL REDIS_URL
exec .venv/bin/python -m pytest -p no:cacheprovider tests/chaos "$@"
