#!/usr/bin/env bash
# `make bench`: prints the engine's speed and quality figures, then the API's.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m bench.engine "$@"
.venv/bin/python -m bench.api
