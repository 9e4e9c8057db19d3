#!/usr/bin/env bash
# The release step, in one place: run on every release with the deployment's environment, before the
# web processes start (README "Running in production", deploy/README.md, the `release` service of
# deploy/compose.yaml, the cluster test). Migrations first (a no-op on the second host), then the
# hashed static files into STATIC_ROOT, then Django's deployment checks, which refuse a missing
# static manifest and the published development key.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
"$PY" manage.py migrate --no-input
"$PY" manage.py collectstatic --no-input -v 0
"$PY" manage.py check --deploy
