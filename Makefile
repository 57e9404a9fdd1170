# Kindred: two set-up commands on a fresh Debian machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install assets messages lint typecheck gates pytest pytest-db bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) assets messages

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

kindred/static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p kindred/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js kindred/static/vendor/htmx.min.js

assets: kindred/static/vendor/htmx.min.js

messages: $(STAMP)
	cd kindred && ../$(BIN)/kindred compilemessages --ignore=.venv -v 0

demo: install
	$(BIN)/kindred demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy kindred bench

gates: install lint typecheck
	$(BIN)/kindred makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=kindred.settings.production SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
		ALLOWED_HOSTS=kindred.example $(BIN)/kindred check --deploy --fail-level WARNING

pytest: install
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

test: gates pytest

bench: install
	$(BIN)/python bench/directory.py

clean:
	rm -rf $(VENV) node_modules kindred/static/vendor var
