# make run   - install, migrate, load demo data on an empty database, serve :8000
# make test  - install the dev tools and run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

.PHONY: run test test-postgres lint format check collectstatic system-deps-run system-deps-test clean

run: $(VENV)/.runtime system-deps-run
	DEBUG=true $(MANAGE) migrate --noinput
	DEBUG=true $(MANAGE) demo_data --if-empty
	@echo "Serving http://127.0.0.1:8000 (Ctrl+C to stop)"
	DEBUG=true $(MANAGE) runserver 127.0.0.1:8000

test: $(VENV)/.dev system-deps-test
	$(BIN)/pytest -n 2 --dist loadfile

# The suite against PostgreSQL, as CI runs it.
test-postgres: $(VENV)/.dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pos} $(BIN)/pytest -m "not browser"

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

collectstatic: $(VENV)/.runtime
	$(MANAGE) collectstatic --noinput

system-deps-run:
	@bash .ci/system-deps.sh run

system-deps-test:
	@bash .ci/system-deps.sh test

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed: apt-get install python3.11 python3.11-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
