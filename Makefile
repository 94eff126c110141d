# Two commands: `make demo` and `make test`. Each sets everything up first (a .venv with zhifa
# and its extras), so a fresh clone needs only Python 3.11+, git and make.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.zhifa-installed

.PHONY: setup demo desk test lint docs clean sandbox

PLUGINS := $(wildcard plugins/zhifa-*/pyproject.toml)

# zhifa with its extras, then every department plugin in plugins/ (each its own distribution,
# found by zhifa through its entry point); --no-deps: their one dependency is this zhifa.
$(STAMP): pyproject.toml $(PLUGINS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	for p in $(dir $(PLUGINS)); do $(BIN)/python -m pip install --quiet --no-deps -e $$p || exit 1; done
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/zhifa demo

# the desk on the demo's database (built first when missing): http://127.0.0.1:8000
desk: setup
	test -f zhifa-demo.db || $(BIN)/zhifa demo
	$(BIN)/zhifa serve --db sqlite:///zhifa-demo.db

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo --no-cache

test: lint
	$(BIN)/python -m pytest -n auto

sandbox: setup
	$(BIN)/jupyter lab sandbox_notebooks

docs: setup
	$(BIN)/python -m zhifa.cli.docgen docs

clean:
	rm -rf $(VENV) build *.egg-info zhifa-demo.db* zhifa-demo-publicity
