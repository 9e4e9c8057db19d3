#!/usr/bin/env bash
# `make bench`: prints the engine's speed and quality figures (v1 and v2 side by side), the video
# figures, FuseFaceUltra's, then the API's.
set -euo pipefail
cd "$(dirname "$0")/.."
# The engine's figures are per core: no BLAS or OpenMP thread pools (bench.engine turns OpenCV's off).
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.engine "$@"
# Video: a 10 s 720p/25 fps template and one photo, fused on two processes (bench/video.py).
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.video
# FuseFaceUltra: model types, knobs, templates to 8000 px, the template check (BENCH_DATABASE_URL).
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python -m bench.ultra
.venv/bin/python -m bench.api
