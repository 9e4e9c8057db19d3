#!/usr/bin/env bash
# `make test`: installs PostgreSQL, Redis, Chromium and Node.js from Debian's packages where they
# are missing and the Node.js SDK of the compatibility tests (tests/package.json) from npm, starts
# PostgreSQL and Redis where they are stopped (never restarting running ones), and runs the static
# checks (scripts/check.sh: ruff, import contracts, types) and the whole suite against them.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
# Chromium renders the Chinese console; without a CJK font the screenshots show tofu boxes.
[ -n "$(fc-list :lang=zh 2>/dev/null)" ] || need+=(fonts-wqy-microhei)
# tests/compat runs the official Node.js client (tencentcloud-sdk-nodejs) against a live stack.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing ${need[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The Node.js client pinned by tests/package-lock.json, reinstalled only when the lock file changes.
lock_sum="$(sha256sum tests/package-lock.json | cut -d' ' -f1)"
if [ "$(cat tests/node_modules/.installed-lock 2>/dev/null)" != "$lock_sum" ]; then
  echo "Installing the Node.js test clients (tests/package.json)"
  npm ci --prefix tests --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" > tests/node_modules/.installed-lock
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# A freshly installed cluster asks for a password over TCP: give postgres the one we use.
if ! psql "postgresql://postgres:postgres@127.0.0.1:5432/postgres" -Atc 'select 1' >/dev/null 2>&1; then
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi

export DJANGO_ENV=test
export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres:postgres@127.0.0.1:5432/ronghe}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/10}"  # roles on databases 10-14
export RONGHE_VAR_DIR="${RONGHE_VAR_DIR:-$(mktemp -d /tmp/ronghe-test.XXXXXX)}"
export CHROMIUM_PATH=/usr/bin/chromium
db_name="${DATABASE_URL##*/}"
psql "${DATABASE_URL%/*}/postgres" -Atc "select 1 from pg_database where datname='$db_name'" | grep -q 1 \
  || psql "${DATABASE_URL%/*}/postgres" -qc "create database \"$db_name\""

[ -n "${SKIP_LINT:-}" ] || bash scripts/check.sh
.venv/bin/python manage.py makemigrations --check --dry-run >/dev/null
# Four test processes on two cores by default: many tests wait on Celery workers, browsers and
# subprocesses. Tests that need a fixed port take a file lock for it (tests/compat), or pick a free one.
# Arguments with their own -n (or -p no:xdist) replace the default.
parallel=(-n "${TEST_PROCESSES:-4}")
for arg in "$@"; do
  case "$arg" in -n|-n*|--numprocesses*|no:xdist) parallel=() ;; esac
done
exec .venv/bin/python -m pytest -p no:cacheprovider "${parallel[@]}" "$@"
