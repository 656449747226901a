# The README's two commands: `make run` and `make test`. Both work on a fresh clone.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test lint bench system-packages clean

run: system-packages $(VENV)/.installed
	$(BIN)/qms db upgrade
	$(BIN)/qms demo --if-empty
	$(BIN)/qms run --host $(HOST) --port $(PORT)

test: system-packages $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: system-packages $(VENV)/.installed-test
	$(BIN)/python -m bench

system-packages:
	@tools/system-packages.sh

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
