# Set-up pins torch==2.13.0 first: that release installs as a CPU build from this machine's disk,
# and nothing later may pull a multi-GB CUDA build in its place.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint report bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# The demo stops at 38 dB (about 35 s of training on 2 CPU cores) instead of running 500 steps to 42 dB:
# the difference is invisible by eye, and a newcomer should see a result within a minute.
demo: setup
	$(BIN)/sirenkit image camera --target-psnr 38 --eval-every 25 --out runs/demo-camera --overwrite
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
