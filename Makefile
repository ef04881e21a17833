# Fresh machine: `make build` sets up .venv and builds dist/; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup build test benchmark clean

$(BIN)/peergraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

setup: $(BIN)/peergraph

build: setup
	$(BIN)/peergraph build

test: setup
	$(BIN)/python -m pytest -q

benchmark: setup
	$(BIN)/python scripts/benchmark_build.py
	$(BIN)/python scripts/benchmark_queries.py
	$(BIN)/python scripts/benchmark_check.py

clean:
	rm -rf dist .pytest_cache
