#!/usr/bin/env bash
# `make cluster-test`: the deploy layout of deploy/README.md on this machine (tests/cluster): nginx
# (Debian's package) in front of two web nodes, two fusion workers, the other workers and beat, with
# PostgreSQL and Redis of its own and S3 through moto's server, all started with the deploy files'
# commands and variables; FuseFace through nginx with the official SDK while a web node and a fusion
# worker are killed. About 1½ minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin"
export RONGHE_CLUSTER=1
export DJANGO_ENV=test
export RONGHE_VAR_DIR="${RONGHE_VAR_DIR:-$(mktemp -d /tmp/ronghe-cluster-test.XXXXXX)}"
# The test process needs no database or Redis of the machine: everything it checks is the cluster's.
unset DATABASE_URL REDIS_URL
exec .venv/bin/python -m pytest -p no:cacheprovider -s tests/cluster "$@"
