# Two commands set everything up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install install-test run index serve test lint format bench eval clean chromium wrk

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

install: $(STAMP)  ## create .venv and install wikidesk (idempotent)

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install-test: $(TEST_STAMP) chromium

chromium:  ## Debian's Chromium for the browser tests (Playwright's own download does not work here)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium from Debian"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

index: $(STAMP)  ## build the index from corpus/ if missing or stale
	$(BIN)/wikidesk index

run: $(STAMP)  ## install, build the index if needed, serve the chat on http://$(HOST):$(PORT)
	$(BIN)/wikidesk serve --host $(HOST) --port $(PORT)

serve: run

test: install-test  ## install what the tests need and run the whole suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(TEST_STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

eval: $(STAMP)  ## retrieval and answer quality on the evaluation set (needs ../shared)
	$(BIN)/wikidesk eval tests/eval/questions.jsonl --corpus corpus --corpus ../shared/corpus/urcf

BENCH_ARGS ?=

bench: install-test wrk  ## performance tables (not part of the test suite); BENCH_ARGS=--quick for a short run
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

wrk:  ## Debian's wrk drives the HTTP benchmark's closed loops (without it, a Python client does)
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing wrk from Debian"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; } \
	  || echo "wrk could not be installed; the HTTP benchmark will use its Python client"

clean:
	rm -rf .wikidesk .pytest_cache .ruff_cache test-artifacts
