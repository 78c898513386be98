# mitmachen: `make run` and `make test` work from a fresh clone with only Python >= 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/mitmachen
export MITMACHEN_VAR_DIR ?= $(CURDIR)/var

.PHONY: run test lint bench install messages demo clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP) messages

# The .po files are compiled at build time with Babel (pure Python: no gettext needed).
messages: $(STAMP)
	$(BIN)/pybabel compile -d src/mitmachen/locale -D django >/dev/null 2>&1

run: install
	MITMACHEN_DEBUG=$${MITMACHEN_DEBUG:-true} $(BIN)/mitmachen migrate --no-input -v 0
	MITMACHEN_DEBUG=$${MITMACHEN_DEBUG:-true} $(BIN)/mitmachen demo
	@echo
	@echo "mitmachen runs on http://127.0.0.1:8000  (Kassel: http://127.0.0.1:8000/o/die-linke-kassel/)"
	@echo "Stop with Ctrl-C."
	MITMACHEN_DEBUG=$${MITMACHEN_DEBUG:-true} $(BIN)/mitmachen serve 127.0.0.1:8000

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mitmachen makemigrations --check --dry-run

# Debian's Chromium drives the browser tests; installed here when missing and we may (root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	      || echo "Could not install chromium."; \
	  else echo "chromium not found: browser tests will be skipped (required when CI=true)."; fi; }

test: lint browser
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  echo "== PostgreSQL (browser tests ran above: they test pages, not the database) =="; \
	  DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -n 2 -p no:cacheprovider \
	    --ignore=tests/browser; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL at 127.0.0.1:5432 is required on CI." >&2; exit 1; \
	else echo "PostgreSQL not reachable at 127.0.0.1:5432: skipped the PostgreSQL run."; fi

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/contacts.py
	$(BIN)/python bench/messaging.py
	$(BIN)/python bench/events.py
	$(BIN)/python bench/assemblies_votes.py
	$(BIN)/python bench/assemblies_live.py
	$(BIN)/python bench/mentoring.py
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  DATABASE_URL=postgres://postgres@127.0.0.1:5432/mitmachen_bench $(BIN)/python bench/contacts.py; \
	  DATABASE_URL=postgres://postgres@127.0.0.1:5432/mitmachen_bench $(BIN)/python bench/messaging.py; \
	  DATABASE_URL=postgres://postgres@127.0.0.1:5432/mitmachen_bench $(BIN)/python bench/events.py; \
	  DATABASE_URL=postgres://postgres@127.0.0.1:5432/mitmachen_bench $(BIN)/python bench/assemblies_votes.py; \
	  DATABASE_URL=postgres://postgres@127.0.0.1:5432/mitmachen_bench $(BIN)/python bench/assemblies_live.py; \
	else echo "PostgreSQL not reachable: skipped the PostgreSQL benchmark."; fi

demo: install
	$(BIN)/mitmachen migrate --no-input -v 0 && $(BIN)/mitmachen demo

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
