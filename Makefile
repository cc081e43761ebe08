# Two commands for a fresh machine: `make run` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PORT ?= 5000
WORKERS ?= 2
export FLASK_APP := app

.PHONY: run test lint format serve db translations system-deps clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

system-deps:
	@scripts/system-deps.sh

translations: $(BIN)/.installed
	@$(BIN)/pybabel compile -d translations -f

db: $(BIN)/.installed translations
	$(BIN)/flask init-db
	$(BIN)/flask seed-demo --if-empty

run: $(BIN)/.installed system-deps db
	$(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) --access-logfile - "app:create_app()"

test: $(BIN)/.installed system-deps translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest --cov --cov-report=term $(PYTEST_ARGS)

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .coverage htmlcov
