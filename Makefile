# The two README commands, plus helpers. A virtual environment is created when
# none is active, and the project is installed into it once (again only when
# pyproject.toml changes), not on every call.

QUARTERS ?= 2026Q3 2026Q4
ifdef VIRTUAL_ENV
VENV := $(VIRTUAL_ENV)
else
VENV := .venv
endif
BIN := $(VENV)/bin
STAMP := $(VENV)/.playbook-installed
PYTEST_ARGS ?=

.PHONY: install playbook test lab lint chromium benchmarks clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	@# An editable install leaves the playbook's own modules uncompiled (pip compiles
	@# every other package it installs); where PYTHONDONTWRITEBYTECODE is set, every
	@# process then compiles them again as it imports them: 0.3 s for each build's
	@# command, workers and kernel template, and each command a test runs.
	$(BIN)/python -m compileall -q src
	@touch $(STAMP)

install: $(STAMP)

## Build the sample playbook into reports/ (open reports/index.html).
playbook: $(STAMP)
	@for q in $(QUARTERS); do $(BIN)/playbook run $$q || exit $$?; done

## Run every test: unit, property, notebooks (nbval), end-to-end build, browser.
## --dist loadgroup runs each group on one worker (tests/conftest.py: a notebook's cells,
## which share one kernel; the tests of the sample build, built once; a file), slowest
## groups first (--no-loadscope-reorder keeps the order conftest.py gives).
test: $(STAMP) chromium
	$(BIN)/pytest -n 2 --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

## Open the notebooks in JupyterLab with the project's kernel.
# JupyterLab refuses to start as root without --allow-root (containers, CI boxes).
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root,)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

benchmarks: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit $$?; done

# Browser tests drive Debian's Chromium; install it when missing and apt-get is here.
chromium:
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf reports/* build dist .pytest_cache .hypothesis
