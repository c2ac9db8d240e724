# Two entry points: `make run` (the service and the Stripe simulator on this
# machine) and `make test` (the whole suite). Both set up .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench clean

$(STAMP): pyproject.toml package.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[dev]'
	npm ci --silent --no-audit --no-fund
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/prepay dev

test: $(STAMP)
	$(BIN)/python -m pytest

check: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy
	DATABASE_URL=sqlite:///$(CURDIR)/.alembic-check.db $(BIN)/alembic upgrade head
	DATABASE_URL=sqlite:///$(CURDIR)/.alembic-check.db $(BIN)/alembic check
	rm -f .alembic-check.db

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) node_modules
