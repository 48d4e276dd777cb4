# The two commands the README promises: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
HASH := $(shell (cat pyproject.toml; $(PYTHON) --version) | md5sum | cut -c1-10)
PORT ?= 8501

.PHONY: run test bench bench-load install install-dev demo lint clean browsers

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed-$(HASH): $(PY)
	$(PIP) install -e .
	@rm -f $(VENV)/.installed-*; touch $@

$(VENV)/.installed-dev-$(HASH): $(PY)
	$(PIP) install -e ".[dev,scale,accurate]"
	@rm -f $(VENV)/.installed-dev-*; touch $@

install: $(VENV)/.installed-$(HASH)

install-dev: $(VENV)/.installed-dev-$(HASH)

## make run: install, build the demo store if missing, serve the dashboard on http://127.0.0.1:$(PORT)
run: install
	$(VENV)/bin/actorwatch demo
	$(VENV)/bin/actorwatch dashboard --port $(PORT)

demo: install
	$(VENV)/bin/actorwatch demo --force

## make test: install the dev extras and run the whole suite (browser tests skip without /usr/bin/chromium)
test: install-dev
	$(PY) -m pytest -n 2 --dist loadfile -q

## make bench: benchmarks (separate from the tests); each prints ratios measured in one run and the load average.
## BENCH_ARGS=--json makes each end with one JSON line of its figures. The load benchmark is separate: make bench-load
bench: install-dev
	@set -e; for b in bench/bench_*.py; do [ $$b = bench/bench_load.py ] && continue; echo "== $$b"; $(PY) $$b $(BENCH_ARGS); done

## make bench-load: 8 headless-Chromium readers at once on a 1M-record store (needs `make browsers`)
bench-load: install-dev
	$(PY) bench/bench_load.py $(BENCH_ARGS)

## make browsers: Debian's Chromium and a CJK font for browser tests and PNG export (needs root)
browsers:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk)

lint: install-dev
	$(VENV)/bin/ruff check collectors analysis dashboard tests

clean:
	rm -rf $(VENV) .pytest_cache data/store data/state
