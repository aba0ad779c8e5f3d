# newsroom: `make run` serves the demo site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_ENV := DJANGO_SETTINGS_MODULE=newsroom.settings.prod NEWSROOM_HTTPS=false
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
# Processes each test pass is spread over (pytest-xdist; a module stays in one
# process, so its fixtures start once): one per core of the CI machines.
# 0 runs the tests in pytest's own process.
TEST_WORKERS ?= 2
PYTEST_SPREAD := -n $(TEST_WORKERS) --dist loadscope
AXE := .cache/node/node_modules/axe-core/axe.min.js

.PHONY: run test install install-test browser services migrate demo admin lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(RUN_ENV) $(BIN)/python manage.py load_demo

# exec: make passes SIGTERM to the recipe's shell, which would die and leave
# scripts/serve (granian, the indexer) running with nobody to stop them.
run: demo
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) BIN=$(BIN) exec scripts/serve

# Create a staff account (asks for a password; none exists by default). The
# first account is usually the site's administrator: EDITOR_ROLE picks another.
admin: migrate
	$(RUN_ENV) $(BIN)/python manage.py create_editor $${EDITOR_USER:-editor} --role $${EDITOR_ROLE:-administrator}

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    scripts/apt_install chromium >/dev/null; \
	  else echo "chromium missing and apt-get unavailable: browser tests will skip"; fi; }
	@# axe-core (the accessibility engine the browser tests inject), from npm.
	@test -f $(AXE) || { command -v npm >/dev/null 2>&1 && \
	  npm install --silent --no-audit --no-fund --prefix .cache/node axe-core@4.14.1 >/dev/null \
	  || echo "npm unavailable: accessibility checks will skip"; }

# Debian's nginx (the two-node test's load balancer, and `nginx -t` on deploy/)
# and a Redis for the shared-state tests, started when none answers.
services:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    scripts/apt_install nginx >/dev/null; \
	  else echo "nginx missing and apt-get unavailable: nginx tests will skip"; fi; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  command -v redis-server >/dev/null 2>&1 && \
	  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no >/dev/null \
	  || echo "no Redis at 127.0.0.1:6379: Redis tests will skip"; }

test: install-test browser services
	@echo "== tests on SQLite"
	$(BIN)/pytest $(PYTEST_SPREAD) $(PYTEST_ARGS)
	@if $(BIN)/python scripts/pg_ready.py "$${TEST_DATABASE_URL:-$(PG_URL)}"; then \
	  echo "== tests on PostgreSQL ($${TEST_DATABASE_URL:-$(PG_URL)})"; \
	  TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$(PG_URL)}" $(BIN)/pytest -m "not browser" $(PYTEST_SPREAD) $(PYTEST_ARGS); \
	else echo "== PostgreSQL tests skipped: no server answers at $${TEST_DATABASE_URL:-$(PG_URL)}"; fi

# Style, layers and types (docs/architecture.md); CI runs it before the tests.
lint: install-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/private_imports.py newsroom
	$(BIN)/mypy

clean:
	rm -rf var/static .pytest_cache
