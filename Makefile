# `make serve` runs the API (with an embedded PostgreSQL unless DATABASE_URL is set);
# `make test` runs the test suite (against DATABASE_URL's server). Both set up .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: venv serve test lint typecheck

venv: $(VENV)/.installed

# Reinstalled only when pyproject.toml changes, so a second run costs nothing.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

serve: venv
	$(BIN)/claimtrack serve

test: venv
	$(BIN)/pytest $(ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy
