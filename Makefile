# The README's two commands: `make run` and `make test`. Both work on a fresh clone.
VENV    ?= .venv
# The virtual environment's interpreter: the distribution's own Python 3 when it is 3.11 or
# later, else the first python3 on PATH (`make PYTHON=...` chooses). Debian builds its Python
# with profile-guided and link-time optimisation, which a plain source build such as pyenv's
# default lacks: qms takes 8 to 26% less time on it (README, "The two commands").
SYSTEM_PYTHON ?= /usr/bin/python3
PYTHON  ?= $(shell $(SYSTEM_PYTHON) -c 'import sys; print(sys.executable if sys.version_info >= (3, 11) else "python3")' 2>/dev/null || echo python3)
BIN     := $(VENV)/bin
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test lint bench load system-packages translations clean

run: system-packages $(VENV)/.installed translations
	$(BIN)/qms db upgrade
	$(BIN)/qms demo --if-empty
	$(BIN)/qms run --host $(HOST) --port $(PORT)

# The browser tests drive Debian's chromium (Playwright never downloads a browser here).
test: system-packages $(VENV)/.installed-test translations
	@tools/system-packages.sh chromium
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Benchmarks on SQLite and on a throwaway PostgreSQL; numbers in bench/results.json.
# The serving ratio drives gunicorn with wrk, Debian's compiled load generator.
bench: system-packages $(VENV)/.installed-bench
	@tools/system-packages.sh wrk
	tools/with-postgres.sh $(BIN)/python -m bench

# Load and faults through gunicorn on a throwaway PostgreSQL (about three minutes).
load: system-packages $(VENV)/.installed-bench
	tools/with-postgres.sh $(BIN)/python -m bench.load_faults

system-packages:
	@tools/system-packages.sh

# The compiled catalogues (.mo) are build output, made from the committed .po files.
translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d qms/translations

# After changing UI text: extract it and merge it into the catalogues, then translate.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o qms/translations/messages.pot .
	$(BIN)/pybabel update -i qms/translations/messages.pot -d qms/translations

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-test

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis test-artifacts
