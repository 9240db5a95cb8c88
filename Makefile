# Set-up pins torch==2.13.0 first: that release installs as a CPU build from this machine's disk,
# and nothing later may pull a multi-GB CUDA build in its place.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: setup
	$(BIN)/sirenkit image camera --out runs/demo-camera --overwrite

test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests benchmarks

bench: setup
	$(BIN)/python benchmarks/bench_image.py

clean:
	rm -rf $(VENV) runs
