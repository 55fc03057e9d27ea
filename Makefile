# The two commands: `make demo` and `make test`. Both create .venv from this project's own files;
# `make test` also finds (or, as root, installs) the Chromium its browser tests drive.
PYTHON ?= python3
PORT   ?= 8000
DATA   ?= var/demo
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test browser lint bench loadtest clean venv

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=...)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev,oracle,lottery,load]'
	touch $(STAMP)

venv: $(STAMP)

# make demo PORT=8767 DATA=var/demo2: links keep working across restarts on the same DATA.
demo: $(STAMP)
	@$(BIN)/plenary demo --port $(PORT) --data-dir $(DATA)

test: $(STAMP) browser lint
	$(BIN)/python -m pytest -q

# The browser tests' Chromium: found, installed (root with apt-get), or the one command to run.
browser:
	@$(PYTHON) tools/chromium.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m loadtest.bench

# make loadtest SCENARIO=plenary-burst: the full-size scenario (about two minutes), its report under
# loadtest/reports/; also reconnect-storm, slow-readers, capacity, scaling (docs/performance.md,
# "Issue 11: load scenarios"); ARGS passes more options (python -m loadtest.scenarios --help).
SCENARIO ?= plenary-burst
loadtest: $(STAMP)
	$(BIN)/python -m loadtest.scenarios $(SCENARIO) $(ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
