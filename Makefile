# Cầu Nối — the two commands are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYVERSION := $(shell cat .python-version)
# pyenv (if present) resolves .python-version; otherwise look for python3.12 on PATH.
PYTHON ?= $(shell (pyenv which python 2>/dev/null | grep -F "$(PYVERSION)") || command -v python$(PYVERSION) || echo python$(PYVERSION))
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

CAUNOI_URL ?= http://$(HOST):$(PORT)
export CAUNOI_URL
# Test processes (pytest-xdist): each has its own test database and Redis prefix.
TEST_WORKERS ?= 2

.PHONY: help demo test lint typecheck migrations-check unit setup messages compilemessages clean screenshots

help:
	@echo "make demo   set up and run Cầu Nối with the demo network on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole suite (lint, types, migrations, tests)"
	@echo "make screenshots   (with the demo running) every main page as each persona sees it, 1366 and 360 px, vi and en, into var/screenshots/"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; v = "$(PYVERSION)".split("."); sys.exit(0 if list(map(str, sys.version_info[:2])) == v[:2] else "Python $(PYVERSION) is needed (found " + sys.version.split()[0] + "): install it or set PYTHON=/path/to/python$(PYVERSION)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The tests' second FHIR validator (Medplum's, from the npm registry, pinned by its lock file).
FHIR_VALIDATE := tools/fhir-validate/node_modules/.installed
$(FHIR_VALIDATE): tools/fhir-validate/package-lock.json
	cd tools/fhir-validate && npm ci --silent --no-audit --no-fund
	@touch $(FHIR_VALIDATE)

setup: $(STAMP) $(FHIR_VALIDATE)

demo: $(STAMP)
	$(BIN)/caunoi migrate --no-input --verbosity 0
	$(BIN)/caunoi collectstatic --no-input --verbosity 0
	$(BIN)/caunoi seed
	$(BIN)/caunoi serve --with-worker --with-janus --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy caunoi

migrations-check: $(STAMP)
	DJANGO_SETTINGS_MODULE=caunoi.config.test_settings $(BIN)/caunoi makemigrations --check --dry-run

unit: $(STAMP) $(FHIR_VALIDATE)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test: lint typecheck migrations-check unit

# Screenshots of every main page from the RUNNING demo at $(CAUNOI_URL) (see tools/screenshots.py;
# SCREENSHOTS_DIR changes the folder, default var/screenshots/).
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py --url $(CAUNOI_URL)

# Developers: refresh the translation catalogues after changing user-facing strings.
messages: $(STAMP)
	cd caunoi && ../$(BIN)/caunoi makemessages --locale vi --locale en --no-obsolete --add-location file

compilemessages: $(STAMP)
	cd caunoi && ../$(BIN)/caunoi compilemessages

clean:
	rm -rf $(VENV) build *.egg-info
