# The two commands from the README: `make demo` and `make test`. Both set up .venv on first use
# and reinstall only when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo serve test lint format clean bench bench-full events-doc

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# One stamp per install flavour, so `make test` after `make demo` adds the dev tools.
$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(BIN)/lakeside demo --data-dir data/demo --host $(HOST) --port $(PORT)

serve: $(VENV)/.installed-base
	$(BIN)/lakeside serve --host $(HOST) --port $(PORT)

# Three workers, one test file each at a time (module-scoped fixtures stay in one process): the
# suite waits on browsers, subprocess servers and PostgreSQL as much as it computes.
TEST_WORKERS ?= 3

test: lint
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

# The benchmark (docs/performance.md): quick < 2 min, full < 15 min; results in bench/results/.
bench: $(VENV)/.installed-base
	$(BIN)/python -m bench --quick

bench-full: $(VENV)/.installed-base
	$(BIN)/python -m bench --full

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check lakeside tests

format: $(VENV)/.installed-dev
	$(BIN)/ruff format lakeside tests

# docs/protocol.md's event table, generated from the declarations (lakeside/domain/events/).
events-doc: $(VENV)/.installed-base
	$(BIN)/python -m lakeside.domain.events

clean:
	rm -rf $(VENV) data/demo .pytest_cache .ruff_cache .mypy_cache .hypothesis lakeside.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
