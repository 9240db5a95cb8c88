#!/usr/bin/env bash
# One hash of everything the sirenkit wheel is built from, so gpu_check.sh can tell a stale wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
find src pyproject.toml -type f ! -path '*/__pycache__/*' ! -path '*.egg-info*' ! -name '*.pyc' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
