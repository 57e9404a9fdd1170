# Kindred: two set-up commands on a fresh Debian machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Everything the build and the gates write at run time (SQLite file, generated secret key) stays in ./var,
# whichever directory a command runs in.
export KINDRED_DATA_DIR ?= $(CURDIR)/var
PYTEST_ARGS ?=

.PHONY: demo test install assets messages lint typecheck gates pytest bench clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null || { \
		echo "Kindred needs Python 3.11 as '$(PYTHON)' (Debian: apt-get install python3.11 python3.11-venv)."; exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		echo "Python's venv module is missing (Debian: apt-get install python3.11-venv)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) assets messages

# htmx and ECharts are served from our own static files. npm installs them from package-lock.json; without npm
# (a fresh Debian machine) .ci/npm_fetch.py downloads the same tarballs and checks the lock's sha512.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error; \
	else \
		echo "npm not found: fetching the locked packages with .ci/npm_fetch.py"; \
		$(PYTHON) .ci/npm_fetch.py; \
	fi

kindred/static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p kindred/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js kindred/static/vendor/htmx.min.js

kindred/static/vendor/echarts.min.js: node_modules/.package-lock.json
	mkdir -p kindred/static/vendor
	cp node_modules/echarts/dist/echarts.min.js kindred/static/vendor/echarts.min.js

assets: kindred/static/vendor/htmx.min.js kindred/static/vendor/echarts.min.js

# Translations are compiled at build time (the .mo files are not committed). GNU msgfmt when present,
# else .ci/msgfmt.py (the same format, in Python) so a machine without gettext still builds.
messages: $(STAMP)
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(BIN)/kindred compilemessages --ignore=.venv --ignore=node_modules -v 0; \
	else \
		echo "msgfmt not found (Debian: apt-get install gettext): compiling with .ci/msgfmt.py"; \
		$(BIN)/python .ci/msgfmt.py kindred; \
	fi

demo: install
	$(BIN)/kindred demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy kindred bench tests

gates: install lint typecheck
	$(BIN)/lint-imports
	$(BIN)/kindred makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=kindred.settings.production SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
		ALLOWED_HOSTS=kindred.example $(BIN)/kindred check --deploy --fail-level WARNING

pytest: install
	$(BIN)/pytest -p no:cacheprovider -n auto $(PYTEST_ARGS)

test: gates pytest

bench: install
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) node_modules kindred/static/vendor var
