# The two commands of the README work on a fresh machine with only Python 3.11:
#   make demo   creates .venv, installs, runs `hourbridge demo` on SQLite
#   make test   creates .venv, runs the architecture checks, linters and the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck architecture unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hourbridge demo

architecture: $(STAMP)
	$(BIN)/lint-imports

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite runs on PYTEST_WORKERS processes (pytest-xdist; a test module stays on one worker,
# so its module fixtures are built once); the 25 slowest tests are listed at the end.
PYTEST_WORKERS ?= 2
test: architecture lint typecheck
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope --durations=25

# Benchmarks (not tests): every scenario at 10,000, 100,000 and 1,000,000 entries on SQLite,
# and on PostgreSQL when HOURBRIDGE_BENCH_POSTGRES_URL or HOURBRIDGE_TEST_POSTGRES_URL is set,
# then issue 16's table (bench/results/table.md). BENCH_SIZES=2000,10000 for a quick look;
# BENCH_ARGS for more options; see bench/README.md.
BENCH_SIZES ?= 10000,100000,1000000
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m bench all --sizes $(BENCH_SIZES) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) hourbridge.db hourbridge.db-* .pytest_cache .mypy_cache .ruff_cache .hypothesis \
	  bench/.work bench/.tryton-venv bench/results
