# Set-up pins torch==2.13.0 first: that release installs as a CPU build from this machine's disk,
# and nothing later may pull a multi-GB CUDA build in its place.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint report bench clean gpu-wheels gpu-check

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The demo stops at the first evaluation at or above 40 dB (200 steps, about 30 s of training on a
# 2-core CPU: benchmarks/bench_demo.py). It trains on a quarter of the pixels per step (with the image
# default, weight scale 1.5), the fastest lever measured in docs/convergence.md.
demo: setup
	$(BIN)/sirenkit image camera --batch-size 16384 --target-psnr 40 --eval-every 50 --out runs/demo-camera --overwrite
	@echo "picture: runs/demo-camera/panel.png (fit, |grad| and Laplacian next to the image's)"
	@echo "next:    $(BIN)/sirenkit render runs/demo-camera --size 1024 1024 --out camera_1024.png"
	@echo "         $(BIN)/sirenkit view runs/demo-camera"

# The viewer's tests drive a real headless Chromium: install Debian's chromium and chromium-driver when missing.
test: setup
	bash scripts/install_browser.sh $(BIN)/python
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests benchmarks

report: setup
	$(BIN)/python benchmarks/report.py

bench: setup
	$(BIN)/python benchmarks/bench_image.py

clean:
	rm -rf $(VENV) runs

# The GPU check (docs/gpu.md). gpu-wheels runs here, with network: the packages that the GPU machine
# (Python 3.12, torch, numpy, scipy, scikit-image, imageio, ...) lacks, as Python 3.12 manylinux x86_64
# wheels, sirenkit itself as a wheel, and the data the tests and bench_gpu.py read, all into .whl/
# (git-ignored; carry it). imageio-ffmpeg 0.6.0: 0.8's wheel alone is over the tool's 64 MiB.
# gpu-check runs there, without network.
GPU_WHEELS := trimesh==5.2.0 soundfile==0.14.0 cffi==2.1.1 pycparser==3.12 imageio-ffmpeg==0.6.0
GPU_PLATFORMS := $(foreach p,manylinux_2_28 manylinux_2_27 manylinux_2_17 manylinux2014 manylinux1,--platform $(p)_x86_64)
GPU_DATA := images/div2k16 faces helmholtz
SIRENKIT_DATA ?= ../shared/data

gpu-wheels: setup
	chmod -R u+w .whl 2>/dev/null; rm -rf .whl && mkdir -p .whl/data
	$(BIN)/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp $(GPU_PLATFORMS) \
		-d .whl $(GPU_WHEELS)
	$(BIN)/python -m pip wheel -q --no-deps -w .whl .
	for d in $(GPU_DATA); do mkdir -p .whl/data/$$(dirname $$d) && cp -r $(SIRENKIT_DATA)/$$d .whl/data/$$d || exit 1; done
	chmod -R u+w .whl/data
	printf 'commit=%s\nsource_hash=%s\n' "$$(git rev-parse HEAD)$$(git diff --quiet HEAD || echo -dirty)" \
		"$$(bash scripts/source_hash.sh)" >.whl/SOURCE
	du -sh .whl

gpu-check:
	bash scripts/gpu_check.sh
