# Every target creates .venv on first use and installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
BENCH_ARGS ?= --quick

.PHONY: run test test-fast bench install clean

# the pip that venv installs (23.2 with Python 3.11) installs this project as it is; upgrading it
# first would only add a download and ~10 s to every fresh `make run` / `make test`.
$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[tf,test,bench]"
	touch $@

install: $(VENV)/.installed

run: install
	$(VENV)/bin/seqfeed demo

# two test processes (pytest-xdist), one per core: most TensorFlow tests run single-threaded steps.
# tests/conftest.py starts the longest tests (marked slow) first and keeps each module that shares a
# trained model on one worker; `slow` tests are part of `make test`.
TEST_WORKERS ?= 2

test: install
	$(PY) -m pytest -q -n $(TEST_WORKERS)

test-fast: install
	$(PY) -m pytest -q -n $(TEST_WORKERS) -m "not tf"

# quick mode (the default BENCH_ARGS) writes to benchmarks/results/quick/ (not committed), never over the
# committed full results; `make bench BENCH_ARGS=` runs the full benchmarks.
bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b $(BENCH_ARGS) || exit 1; done

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis
