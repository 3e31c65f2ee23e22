# Two commands do all set-up: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# (screenshots: the README's pictures, from a stack `make run` started in another terminal)
.PHONY: screenshots run test lint typecheck pytest bench services system-packages clean histories compose assets chromium

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The pages' front-end assets come from npm (package-lock.json pins them): `npm ci` runs only
# when the lock file is newer than the last install. GOV.UK Frontend's and MoJ Frontend's built
# CSS, JS, fonts and images are copied into web/static (git-ignored build output), so nothing is
# fetched from a CDN at run time. Both stylesheets load fonts and images from /assets/.
NPM_STAMP := node_modules/.foiflow-installed
ASSETS_STAMP := web/static/.foiflow-built
GOVUK_DIST := node_modules/govuk-frontend/dist/govuk
MOJ_DIST := node_modules/@ministryofjustice/frontend/moj

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NPM_STAMP)

$(ASSETS_STAMP): $(NPM_STAMP)
	rm -rf web/static/govuk web/static/moj web/static/assets
	mkdir -p web/static/govuk web/static/moj web/static/assets
	cp $(GOVUK_DIST)/govuk-frontend.min.css $(GOVUK_DIST)/govuk-frontend.min.js web/static/govuk/
	cp $(MOJ_DIST)/moj-frontend.min.css $(MOJ_DIST)/moj-frontend.min.js web/static/moj/
	cp -R $(GOVUK_DIST)/assets/. web/static/assets/
	cp -R $(MOJ_DIST)/assets/. web/static/assets/
	@touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)

# The page tests drive Debian's chromium (never `playwright install`: it downloads a browser).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y chromium; \
	fi

# PostgreSQL is part of the developers' machines; start it when it is down (no-op elsewhere).
services:
	@if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
	fi

# WeasyPrint draws the PDF letters with the system's Pango, and fonts-liberation gives them an
# Arial-metric font. Installed from Debian once, only when missing, so `make test` stays fast.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1; then \
			sudo=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
			echo "installing $$missing (PDF letters)"; \
			$$sudo apt-get update -qq && $$sudo apt-get install -y -qq $$missing; \
		else \
			echo "PDF letters need: $$missing (not a Debian system: install them yourself)"; \
		fi; \
	fi

run: $(STAMP) services system-packages assets
	$(BIN)/foiflow up

screenshots: $(STAMP) chromium
	$(BIN)/python -m tools.screenshots

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

typecheck: $(STAMP)
	$(BIN)/mypy

# Two test processes (the machines have two cores): each module runs whole in one of them, with
# its own Temporal servers, data directory and databases. PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= 2
pytest: $(STAMP) services system-packages assets chromium
	$(BIN)/pytest -q -p no:cacheprovider --durations=20 -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# docker-compose.yml's search attributes, written from the code (tests/test_compose.py checks).
compose: $(STAMP)
	$(BIN)/python -m tools.compose

clean:
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .import_linter_cache node_modules \
		web/static/govuk web/static/moj web/static/assets $(ASSETS_STAMP) test-artefacts

# Re-record the replay histories in tests/histories/ (only for a deliberate, patched change).
histories: $(STAMP)
	FOIFLOW_DATA_DIR=$$(mktemp -d) $(BIN)/python tests/workflows/record_histories.py
	FOIFLOW_DATA_DIR=$$(mktemp -d) $(BIN)/python tests/workflows/record_histories.py review
