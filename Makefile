# geogrid: `make run` serves the demo, `make test` runs every test, `make bench` prints benchmarks.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench demo deps-run deps-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[api]"
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.run-installed

deps-run: $(VENV)/.run-installed
	bash scripts/install-system-deps.sh run

deps-test: $(VENV)/.dev-installed
	bash scripts/install-system-deps.sh test

## serve the Lujiazui demo from the embedded SpatiaLite store on http://127.0.0.1:8000
run: deps-run
	GEOGRID_DEMO=1 $(BIN)/geogrid serve

## install everything the tests need (Debian packages included) and run them, in
## TEST_WORKERS pytest-xdist processes (each its own PostGIS cluster, server and Chromium),
## a whole test file at a time; `make test TEST_WORKERS=0` runs them in one process
TEST_WORKERS ?= 2
test: deps-test
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## print the benchmark tables (ratios against baselines measured in the same run)
bench: deps-test
	bash scripts/install-system-deps.sh bench
	$(BIN)/python -m benchmarks

demo: deps-run
	$(BIN)/geogrid demo

clean:
	rm -rf var test-artifacts .pytest_cache
