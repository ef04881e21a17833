# Fresh machine: `make build` sets up .venv and builds dist/; `make test` installs the test
# services and runs the whole suite, exactly as CI does (.ci/run).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written once scripts/install-test-services.sh has succeeded: a second `make test` starts at
# once, and a changed installer runs again. It lives in .venv, so a new venv installs again.
SERVICES := $(VENV)/.test-services-installed

.PHONY: setup build services test test-without-services benchmark clean

$(BIN)/peergraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

setup: $(BIN)/peergraph

build: setup
	$(BIN)/peergraph build

# The installer uses apt-get, which needs root: without it, stop before doing anything else.
$(SERVICES): scripts/install-test-services.sh
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make test: it first installs the test services (a browser, triple stores) with" >&2; \
	  echo "  scripts/install-test-services.sh, which runs apt-get and so needs root. Run 'sudo make test'" >&2; \
	  echo "  (later runs skip the installation), or 'make test-without-services' for the suite without" >&2; \
	  echo "  the services: the tests that need them are then skipped, not run." >&2; \
	  exit 2; \
	fi
	scripts/install-test-services.sh
	touch $@

services: $(SERVICES)

# The whole suite, the service tests included: a missing service fails its tests.
test: $(SERVICES) setup
	PEERGRAPH_REQUIRE_SERVICES=1 $(BIN)/python -m pytest -q

# Without the services: their tests are skipped (pytest counts them as skipped).
test-without-services: setup
	$(BIN)/python -m pytest -q

benchmark: setup
	$(BIN)/python scripts/benchmark_build.py
	$(BIN)/python scripts/benchmark_queries.py
	$(BIN)/python scripts/benchmark_check.py

clean:
	rm -rf dist .pytest_cache
