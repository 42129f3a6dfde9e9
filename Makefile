# The two commands a newcomer needs: `make run` and `make test`.
# Another Python or Django line gets its own venv, e.g. the newest line CI runs:
#   make test PYTHON=python3.13 VENV=.venv313 DJANGO='Django>=6,<6.1'
PYTHON ?= python3
VENV ?= .venv
# An extra pin for Django within requirements.txt's range (empty: the newest the Python allows).
DJANGO ?=
BIN := $(VENV)/bin
PORT ?= 8000
# The fast subset: no qcluster processes, browser, fuzzing or benchmark runs.
FAST := not cluster and not browser and not fuzz and not bench

.PHONY: run test test-fast install install-test migrate lint clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Rewritten only when DJANGO changes, so a new pin reinstalls and an unchanged one does not.
$(VENV)/.django: FORCE | $(BIN)/python
	@echo '$(DJANGO)' | cmp -s - $@ || echo '$(DJANGO)' > $@

$(VENV)/.installed: requirements.txt $(VENV)/.django | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt $(DJANGO:%='%')
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.django | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt $(DJANGO:%='%')
	touch $@ $(VENV)/.installed

FORCE:

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput

# Web server and task cluster together; Ctrl-C stops both.
run: migrate
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	# The demo's CRM flow calls this server's /healthz, a loopback address: allowed for the demo only.
	DEBUG=$${DEBUG:-1} OUTBOUND_ALLOWED_HOSTS=$${OUTBOUND_ALLOWED_HOSTS:-127.0.0.1,localhost} \
		$(BIN)/python manage.py runstudio --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -m "$(FAST)" $(PYTEST_ARGS)

# ruff (lint and format, configured in pyproject.toml) and the layer contracts (import-linter).
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf var/ .pytest_cache

# Re-take the screenshots the README shows (docs/screenshots/).
screenshots: install-test
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest tests/browser
