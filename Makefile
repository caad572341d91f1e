# Two commands: `make run` (set up everything, serve on http://127.0.0.1:5000) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
POSTGRES_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: setup run db translations test test-postgres browser pdf-libs extract-messages check-content clean bench bench-quick

setup: pdf-libs $(VENV)/.installed translations

# Pango and HarfBuzz for WeasyPrint (certificate PDFs), from the system's packages.
pdf-libs:
	@bash scripts/ensure-pdf-libs.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d lms/translations

# Development database: migrations, the courses in content/, demo accounts (development only).
db: setup
	$(FLASK) db upgrade
	$(FLASK) lms import-content
	$(FLASK) lms seed-demo

run: db
	$(FLASK) run --host 127.0.0.1 --port 5000

browser:
	@bash scripts/ensure-chromium.sh

# The courses in content/: structure, ids, sources, links and images, and that editions match.
check-content: setup
	$(FLASK) lms check-content

test: setup browser check-content
	$(BIN)/pytest

test-postgres: setup browser
	TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(BIN)/pytest

# The benchmark of issue 8 (bench/README.md): about 25 minutes; results in bench/results/.
# Options through BENCH_ARGS, e.g. make bench BENCH_ARGS="--scenario exam --db sqlite".
bench: setup $(VENV)/.bench-installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-quick: setup $(VENV)/.bench-installed
	$(BIN)/python bench/run.py --quick $(BENCH_ARGS)

$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@

extract-messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o lms/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) instance/lms-development.sqlite3* .pytest_cache tests/e2e/screenshots
