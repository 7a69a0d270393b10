# KetaCare — the front door. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
KETACARE_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export KETACARE_TEST_DATABASE_URL
DEMO_ENV := KETACARE_DEMO=true KETACARE_HTTPS=false
# The outcomes benchmark seeds this many patients (issue 5 asks for 100,000; about 25 minutes).
BENCH_PATIENTS ?= 100000
# Each wrk run of the HTTP ratio benchmark (5 workloads x 2 servers x 2 rounds x 2 databases).
BENCH_HTTP_SECONDS ?= 10
# Test runs get their own data dir (secret key, static files) and in-memory SQLite.
TEST_ENV := KETACARE_DATA_DIR=$(CURDIR)/var/test KETACARE_HTTPS=false KETACARE_PLAIN_STATIC=true
# pytest processes (pytest-xdist) for the suite; 0 runs it in one process. Two workers on this
# 2-core machine took the quick suite from 190 s to 165 s while other jobs shared the cores.
PYTEST_WORKERS ?= 2
# The `slow` tests start servers and workers and mostly wait on them (the crash harness, concurrent
# writers, the worker's schedules, the README's production steps): they run after the parallel pass,
# so its CPU-bound tests cannot starve them, two at a time (166 s one by one, 101 s two at a time,
# on SQLite; their deadlines held either way).
PYTEST_PARALLEL := $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not slow"
PYTEST_SLOW := $(BIN)/pytest -n $(PYTEST_WORKERS) -m slow
# The SQLite pass runs every test. The PostgreSQL pass runs the tests that reach the database: the
# others (pure core, static checks, servers on their own SQLite instance) give the same answer on
# both (docs/decisions/0022). `make test-postgres POSTGRES_SELECTION=` runs every test there too.
POSTGRES_SELECTION ?= --database-tests-only

.PHONY: help install demo test lint lint-and-templates test-fast test-sqlite test-postgres ensure-chromium ensure-pango ensure-poppler ensure-nginx ensure-redis bench clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-15s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml uv.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "KetaCare needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv==0.13.9"
	$(BIN)/uv sync --frozen --inexact --extra dev --quiet
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the locked dependencies

demo: install ## Migrate, seed the demo clinics, print the logins and serve http://127.0.0.1:8000
	$(DEMO_ENV) $(BIN)/python manage.py migrate --verbosity 0
	$(DEMO_ENV) $(BIN)/ketacare demo-data
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(DEMO_ENV) $(BIN)/ketacare pk warm-up
	@echo "Serving KetaCare on http://127.0.0.1:8000 with the worker beside it (Ctrl-C stops both)"
	@echo "The worker runs the scheduled jobs; e-mail (reminders, escalations) is printed here."
	@# The worker gets its own session so Ctrl-C reaches only the web server; the trap then stops the
	@# worker with TERM to its main process, which shuts its children down in order.
	@trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(DEMO_ENV) setsid $(BIN)/ketacare worker & worker=$$!; \
	$(DEMO_ENV) KETACARE_WEB_WORKERS=2 $(BIN)/ketacare serve

lint: install ## ruff, mypy, import contract, migrations check, Dockerfile (hadolint)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(TEST_ENV) $(BIN)/mypy ketacare
	$(BIN)/lint-imports
	$(TEST_ENV) $(BIN)/python manage.py makemigrations --check --dry-run --verbosity 1
	$(BIN)/hadolint Dockerfile

ensure-chromium: ## Browser tests need Debian's chromium; installed with apt in CI when root
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$CI" = "true" ] && [ "$$(id -u)" = "0" ]; then \
	  echo "Installing Debian chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	elif [ "$$CI" = "true" ]; then echo "ERROR: CI=true needs /usr/bin/chromium (apt-get install chromium as root)"; exit 1; \
	else echo "NOTE: /usr/bin/chromium missing: browser tests will be skipped (install Debian's chromium)"; fi

ensure-poppler: ## Tests read the PDFs the product writes with Debian's pdftotext
	@if [ -x /usr/bin/pdftotext ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; \
	else echo "NOTE: pdftotext missing: PDF tests read the text with pypdf instead (apt-get install poppler-utils)"; fi

ensure-pango: ## WeasyPrint needs Debian's pango libraries
	@if ldconfig -p | grep -q libpango-1.0; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	else echo "ERROR: WeasyPrint needs libpango (apt-get install libpango-1.0-0 libpangoft2-1.0-0)"; exit 1; fi

ensure-nginx: ## The multi-node test puts Debian's nginx in front of two web nodes
	@if [ -x /usr/sbin/nginx ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then echo "Installing Debian nginx for the multi-node test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null; \
	  systemctl disable --now nginx >/dev/null 2>&1 || service nginx stop >/dev/null 2>&1 || true; \
	elif [ "$$CI" = "true" ]; then echo "ERROR: CI=true needs /usr/sbin/nginx (apt-get install nginx as root)"; exit 1; \
	else echo "NOTE: /usr/sbin/nginx missing: the multi-node test will be skipped (install Debian's nginx)"; fi

KETACARE_TEST_REDIS_URL ?= redis://127.0.0.1:6379/13
export KETACARE_TEST_REDIS_URL
ensure-redis: ## The Redis broker test needs a Redis server (KETACARE_TEST_REDIS_URL); started in CI when root
	@if $(BIN)/python -c "import os, redis; redis.Redis.from_url(os.environ['KETACARE_TEST_REDIS_URL'], socket_connect_timeout=2).ping()" 2>/dev/null; then exit 0; fi; \
	if [ "$$CI" = "true" ] && [ "$$(id -u)" = "0" ]; then echo "Starting Debian's redis-server on 127.0.0.1:6379 for the Redis broker test"; \
	  command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }; \
	  redis-server --bind 127.0.0.1 --port 6379 --save "" --appendonly no --daemonize yes >/dev/null; \
	elif [ "$$CI" = "true" ]; then echo "ERROR: CI=true needs Redis at $$KETACARE_TEST_REDIS_URL (apt-get install redis-server as root)"; exit 1; \
	else echo "NOTE: no Redis at $$KETACARE_TEST_REDIS_URL: the Redis broker test will be skipped"; fi

test-fast: install ensure-pango ## Edit loop: the suite on SQLite without browser and slow tests
	$(TEST_ENV) DATABASE_URL= $(BIN)/pytest -n $(PYTEST_WORKERS) -m "not browser and not slow"

test-sqlite: install ensure-chromium ensure-pango ensure-poppler ensure-redis ## The whole pytest suite on SQLite
	$(TEST_ENV) DATABASE_URL= $(PYTEST_PARALLEL)
	$(TEST_ENV) DATABASE_URL= $(PYTEST_SLOW)

test-postgres: install ensure-chromium ensure-pango ensure-poppler ensure-nginx ensure-redis ## The tests that reach the database, on PostgreSQL (required when CI=true)
	@if $(BIN)/python -c "import psycopg, os, sys; psycopg.connect(os.environ['KETACARE_TEST_DATABASE_URL'], connect_timeout=3).close()" 2>/dev/null; then \
	  $(TEST_ENV) DATABASE_URL=$(KETACARE_TEST_DATABASE_URL) $(PYTEST_PARALLEL) $(POSTGRES_SELECTION) && \
	  $(TEST_ENV) DATABASE_URL=$(KETACARE_TEST_DATABASE_URL) $(PYTEST_SLOW) $(POSTGRES_SELECTION); \
	elif [ "$$CI" = "true" ]; then echo "ERROR: CI=true but PostgreSQL at $(KETACARE_TEST_DATABASE_URL) is unreachable"; exit 1; \
	else echo "NOTE: PostgreSQL unreachable at $(KETACARE_TEST_DATABASE_URL): PostgreSQL pass skipped"; fi

test: lint-and-templates test-sqlite test-postgres ## Lint, then the suite on SQLite, then on PostgreSQL

# Lint, with the migrated templates (docs/decisions/0022) made on the other core meanwhile, so the
# first test processes copy them instead of one migrating while the other waits.
lint-and-templates: install
	@$(TEST_ENV) $(BIN)/python bench/migrated.py & templates=$$!; \
	$(MAKE) --no-print-directory lint; status=$$?; \
	wait $$templates || echo "NOTE: the migrated templates were not made ahead; the first test process makes them"; \
	exit $$status

bench: install ensure-nginx ## Benchmarks (PK engine, SQLite writers, crash harness, multi-node, outcomes page, HTTP ratio to bare Django, two clinics' audited requests); results in bench/results/
	$(BIN)/python bench/bench_pk.py
	$(BIN)/python bench/sqlite_writers.py --clients 50 --seconds 60
	$(BIN)/python bench/crash_reconcile.py --clients 200 --seconds 60
	$(BIN)/python bench/multinode.py --clients 100 --seconds 90
	$(BIN)/python bench/bench_outcomes.py --patients $(BENCH_PATIENTS)
	$(BIN)/python bench/http_ratio.py --seconds $(BENCH_HTTP_SECONDS) --rounds 2
	$(BIN)/python bench/audit_clinics.py

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var
