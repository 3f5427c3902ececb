# `make run` and `make test` work on a fresh machine with only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup setup-test lint clean

run: setup
	$(BIN)/pilot run

test: setup-test
	$(BIN)/pytest

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[notebooks]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[notebooks,test]"
	touch $@ $(VENV)/.installed

lint: setup-test
	$(BIN)/ruff check pipeline tests

clean:
	rm -rf reports/*.html reports/*.js data/warehouse.duckdb data/warehouse.duckdb.wal data/warehouse.duckdb.lock data/warehouse.published data/warehouse.dbt target logs
