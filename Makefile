# Tanhui — the two commands: `make run` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := wsgi
# The app derives its base URL (QR codes, printed links, e-mails) from HOST and PORT when
# BASE_URL is unset outside production (webapp/config.py: served_address), so every
# command below — demo-data rendering the demo certificate included — uses this address.
export HOST PORT

# Debian packages: WeasyPrint (pango, harfbuzz subsetter), a CJK font for certificates,
# poppler for PDF checks; chromium for the browser tests only.
APP_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk poppler-utils
TEST_DEBS := chromium

.PHONY: run test setup system-deps test-system-deps venv translations db migrate demo lint \
        format serve worker scheduler bench bench-verify bench-registry clean catalog vendor

run: setup migrate ## set up everything, migrate, load demo data, serve on $(HOST):$(PORT)
	@echo ""
	@echo "Tanhui is starting on http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	@$(BIN)/flask demo-data | sed -n '2,$$p'
	@echo ""
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: setup test-system-deps ## set up everything and run the whole suite
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

setup: system-deps venv translations vendor

# Front-end packages come from the npm registry at build time (package-lock.json pins them)
# and are copied into static/vendor/ (git-ignored); nothing is fetched from a CDN at run time.
VENDOR_FILES := static/vendor/jsQR.js

vendor: $(VENDOR_FILES)

$(VENDOR_FILES): package.json package-lock.json
	@command -v npm >/dev/null || scripts/ensure-debian-packages.sh npm
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/jsqr/dist/jsQR.js static/vendor/jsQR.js

system-deps:
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || scripts/ensure-debian-packages.sh python3-venv
	@scripts/ensure-debian-packages.sh $(APP_DEBS)

test-system-deps:
	@scripts/ensure-debian-packages.sh $(TEST_DEBS)

venv: $(VENV)/.stamp-deps

$(VENV)/.stamp-deps: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

translations: venv
	@$(BIN)/pybabel compile --statistics -d webapp/translations

catalog: venv ## re-extract strings and merge them into the catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project Tanhui -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations \
	  --no-fuzzy-matching --ignore-obsolete

migrate: setup
	$(BIN)/flask db upgrade

db: migrate
	$(BIN)/flask demo-data > /dev/null

serve: setup ## production-style: migrate, then gunicorn (gunicorn.conf.py) on $(HOST):$(PORT)
	$(BIN)/flask db upgrade
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

worker: setup ## RQ worker for the default and certificates queues (needs RQ_REDIS_URL)
	$(BIN)/flask tasks worker

scheduler: setup ## periodic tasks: expiry and reconciliation
	$(BIN)/flask tasks scheduler

# Benchmarks with nothing set up by hand: a scratch database on the local PostgreSQL
# (or a throw-away cluster), its own Redis, wrk; see docs/BENCHMARKS.md.
bench: bench-verify bench-registry ## the verify page against a static file, then the registry at scale

bench-verify: setup
	@scripts/ensure-debian-packages.sh wrk redis-server
	$(BIN)/python bench/with_services.py -- $(BIN)/python bench/mixed_load.py $(BENCH_ARGS)

bench-registry: setup
	$(BIN)/python bench/registry_scale.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage htmlcov node_modules static/vendor
