# KetaCare — `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL for the second test run; the database name defaults to ketacare.
PG_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/)
SQLITE_TEST_URL := sqlite:///$(CURDIR)/var/test.sqlite3
PYTEST_ARGS ?=

.PHONY: help install run serve worker demo test lint typecheck migrations-check browser-deps \
	test-sqlite test-postgres test-fast bench clean

help:
	@echo "make run     set up, migrate, load the demo clinics, serve on http://$(HOST):$(PORT)"
	@echo "make test    lint, type-check, migrations check, the suite on SQLite and PostgreSQL"
	@echo "make bench   run the benchmarks under bench/ (see bench/README.md)"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required (python3.11 not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install
	@$(BIN)/ketacare migrate --noinput -v0
	@$(BIN)/ketacare demo
	@echo ""
	@echo "Open http://$(HOST):$(PORT)/ and sign in with one of the logins above."
	@echo "The background worker (reminders, questionnaire links) logs to var/worker.log."
	@mkdir -p var
	@$(BIN)/ketacare worker -v0 >> var/worker.log 2>&1 & w=$$!; trap 'kill $$w 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/ketacare serve --host $(HOST) --port $(PORT)

worker: install
	$(BIN)/ketacare worker

demo: install
	$(BIN)/ketacare migrate --noinput -v0
	$(BIN)/ketacare demo --refresh

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install
	$(BIN)/mypy src

migrations-check: install
	DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/ketacare makemigrations --check --dry-run

# Real-browser tests use Debian's chromium; install it when missing (root on these machines).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing Debian chromium for the browser tests…"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium is not installed and cannot be installed here: browser tests will be skipped."; \
		fi; \
	fi
	@# axe-core (accessibility checks in the browser tests) from the npm registry, pinned in package.json.
	@if [ -f package.json ] && [ ! -f node_modules/axe-core/axe.min.js ]; then \
		if command -v npm >/dev/null 2>&1; then \
			npm ci --no-audit --no-fund --silent || { echo "npm ci failed: the accessibility checks need axe-core from the npm registry."; [ "$$CI" != "true" ]; }; \
		else \
			echo "npm is not installed: accessibility checks will be skipped."; [ "$$CI" != "true" ]; \
		fi; \
	fi

test: lint typecheck migrations-check browser-deps test-sqlite test-postgres

test-sqlite: install
	@echo "== Test suite on SQLite =="
	DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/python scripts/run_pytest.py $(PYTEST_ARGS)

test-postgres: install
	@if $(BIN)/python scripts/pg_available.py "$(PG_URL)"; then \
		echo "== Test suite on PostgreSQL =="; \
		DATABASE_URL="$(PG_URL)" $(BIN)/python scripts/run_pytest.py $(PYTEST_ARGS); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is required in CI (CI=true) but $(PG_URL) is not reachable."; exit 1; \
	else \
		echo "== PostgreSQL not reachable at $(PG_URL): skipping the PostgreSQL run =="; \
	fi

# Quick loop while developing: SQLite only, no browser tests.
test-fast: install
	DATABASE_URL=$(SQLITE_TEST_URL) $(BIN)/python scripts/run_pytest.py -m "not browser" $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var/test.sqlite3 .pytest_cache .mypy_cache .ruff_cache
