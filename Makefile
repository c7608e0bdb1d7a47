# Two commands do all the set-up on a fresh machine:
#   make run    install, build the local model runtime, fetch the default model, run sample_docs/
#   make test   install, fetch the small test model, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export CONTRACTFLOW_WHEEL_CACHE ?= $(HOME)/.cache/contractflow/wheels

.PHONY: setup system-deps run test lint samples bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml scripts/build_llama.sh | $(BIN)/python
	bash scripts/build_llama.sh $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev,local,erp]' --find-links $(CONTRACTFLOW_WHEEL_CACHE)
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/contractflow model fetch
	$(BIN)/contractflow run sample_docs/

# Debian packages the tests drive for real: Chromium (review UI browser test; never `playwright
# install`), tesseract (scans), docker-compose v1 (validates docker-compose.yml; no engine needed).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }
	@command -v tesseract >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq tesseract-ocr; }
	@command -v docker-compose >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq docker-compose; }

test: setup system-deps
	$(BIN)/contractflow model fetch --model qwen2.5-coder-0.5b
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check pipeline connectors tests scripts bench
	$(BIN)/mypy

samples: setup
	$(BIN)/python scripts/make_sample_docs.py
