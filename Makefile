# The two commands of the README work on a fresh machine with only Python 3.11:
#   make demo   creates .venv, installs, runs `hourbridge demo` on SQLite
#   make test   creates .venv, runs the architecture checks, linters and the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck architecture unit clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hourbridge demo

architecture: $(STAMP)
	$(BIN)/lint-imports

lint: $(STAMP)
	$(BIN)/ruff check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

test: architecture lint typecheck
	$(BIN)/python -m pytest


clean:
	rm -rf $(VENV) hourbridge.db hourbridge.db-* .pytest_cache .mypy_cache .ruff_cache .hypothesis
