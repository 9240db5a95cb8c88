#!/usr/bin/env bash
# The GPU check of issue #23 in one go, on a machine with a CUDA GPU and no network (docs/gpu.md):
# install the carried wheels (.whl/, from `make gpu-wheels`), run the test suite on CUDA, then
# benchmarks/bench_gpu.py, which writes benchmarks/results/gpu.json. Logs and the result go to $OUT
# when it is set (the device tool brings that folder back), else to /tmp/gpu_check.
# About 8 minutes at most on one H200: install ~10 s, tests <= GPU_CHECK_TEST_TIMEOUT s (in
# GPU_CHECK_TEST_WORKERS pytest-xdist processes where xdist is installed), benchmark <= GPU_CHECK_BENCH_LIMIT s
# (its sections past the limit are skipped and say so in gpu.json).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TEST_TIMEOUT=${GPU_CHECK_TEST_TIMEOUT:-120}
TEST_WORKERS=${GPU_CHECK_TEST_WORKERS:-8}
BENCH_LIMIT=${GPU_CHECK_BENCH_LIMIT:-320}
LOGS=${OUT:-/tmp/gpu_check}
SITE=/tmp/site
export PYTHONUNBUFFERED=1
mkdir -p "$LOGS"

fail() { echo "gpu_check: error: $*" >&2; exit 2; }

[ -f .whl/SOURCE ] || fail ".whl/SOURCE is missing; run \`make gpu-wheels\` in the checkout first and carry .whl"
source_hash=$(bash scripts/source_hash.sh)
built_hash=$(sed -n 's/^source_hash=//p' .whl/SOURCE)
[ "$source_hash" = "$built_hash" ] || fail "the sirenkit wheel in .whl was built from other sources than src/ holds now; run \`make gpu-wheels\` again"
export SIRENKIT_GIT_COMMIT=$(sed -n 's/^commit=//p' .whl/SOURCE)
[ -d "${SIRENKIT_DATA:-/nonexistent}" ] || export SIRENKIT_DATA=$PWD/.whl/data

nvidia-smi >"$LOGS/nvidia-smi.txt" 2>&1 || true
"$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .whl/*.whl \
    || fail "installing the carried wheels failed (see above)"
export PYTHONPATH=$SITE
"$PYTHON" -c "import torch, sirenkit; assert torch.cuda.is_available(), 'no CUDA device'; print('torch', torch.__version__, \
'on', torch.cuda.get_device_name(), '| sirenkit from', sirenkit.__file__)" || fail "no usable CUDA device or sirenkit install"

flags=()
"$PYTHON" -c "import pytest_timeout" 2>/dev/null && flags+=(--timeout 90)
# workers share the 16 cores: 2 torch threads each, or their thread pools spin against each other
"$PYTHON" -c "import xdist" 2>/dev/null && [ "$TEST_WORKERS" -gt 1 ] && flags+=(-n "$TEST_WORKERS")
echo "== tests on CUDA (at most ${TEST_TIMEOUT} s)"
OMP_NUM_THREADS=2 timeout -k 10 "$TEST_TIMEOUT" "$PYTHON" -m pytest -q -p no:cacheprovider --device cuda -rs \
    ${flags[@]+"${flags[@]}"} --junitxml="$LOGS/pytest.xml" 2>&1 | tee "$LOGS/pytest.log"
tests_rc=${PIPESTATUS[0]}

echo "== benchmarks/bench_gpu.py (at most ${BENCH_LIMIT} s)"
timeout -k 5 $((BENCH_LIMIT + 25)) "$PYTHON" benchmarks/bench_gpu.py --time-limit-s "$BENCH_LIMIT" 2>&1 | tee "$LOGS/bench.log"
bench_rc=${PIPESTATUS[0]}
[ -f benchmarks/results/gpu.json ] && cp benchmarks/results/gpu.json "$LOGS/gpu.json"

echo "== gpu_check: tests exit ${tests_rc} (124: cut at ${TEST_TIMEOUT} s), benchmark exit ${bench_rc}; files in ${LOGS}"
[ "$tests_rc" = 0 ] && [ "$bench_rc" = 0 ]
