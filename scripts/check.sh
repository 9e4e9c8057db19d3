#!/usr/bin/env bash
# `make check`: ruff, the import contracts (import-linter, docs/architecture.md) and the types (mypy
# with django-stubs on the whole project). `make test` runs it first unless SKIP_LINT is set.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_ENV="${DJANGO_ENV:-test}"
.venv/bin/python -m ruff check .
.venv/bin/lint-imports --no-cache
.venv/bin/mypy
