# The two commands: `make run` and `make test`. Everything else is a convenience.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# First Python >= 3.11 on PATH.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
EMBEDDED := $(BIN)/python -m esn.embedded exec --

.PHONY: run test lint format check migrate shell seed digests bench bench-load bench-search bench-pickers e2e messages clean help

help:
	@echo "make run    - start everything (embedded PostgreSQL + Valkey, web, worker, beat) on :8000"
	@echo "make test   - the full test suite (DATABASE_URL / REDIS_URL used when set)"
	@echo "make lint   - ruff, import layers and cycles, mypy, translation catalogs; make format to fix formatting"
	@echo "make messages - compile locale/*/LC_MESSAGES/django.po to .mo (run and test do it)"
	@echo "make bench  - home-feed benchmark (bench/feed.py; slow: generates 1M posts)"
	@echo "make bench-load - mixed load (locust) against the production gunicorn configuration"
	@echo "make bench-search - search benchmark at 10k/100k/1M posts (ARGS=\"--sizes 10000\")"

$(STAMP): requirements.txt requirements-dev.txt requirements-embedded.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11, python3.12, ... on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

# The translations Django reads (.mo), compiled in pure Python from the translators' .po
# files when a .po is newer; not committed (.gitignore).
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))

messages: $(MESSAGES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | $(STAMP)
	$(BIN)/python tools/compile_messages.py $<

run: $(STAMP) messages
	$(BIN)/python -m esn.embedded run

test: $(STAMP) messages
	$(EMBEDDED) $(BIN)/python -m pytest $(ARGS)

e2e: $(STAMP) messages
	$(EMBEDDED) $(BIN)/python -m pytest -m e2e $(ARGS)

# Layers and cycles: lint-imports (contracts in pyproject.toml) and tools/import_cycles.py.
# Translation catalogs in step with the code and complete: tools/check_messages.py (it runs
# makemessages on a copy, so GNU gettext must be installed: Debian's `gettext`).
# mypy needs settings to load, not a database: the values below are never connected to.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python tools/import_cycles.py
	$(BIN)/python tools/check_messages.py
	DEBUG=1 SECRET_KEY=lint DATABASE_URL=postgres://lint@127.0.0.1/lint $(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: $(STAMP)
	$(EMBEDDED) $(BIN)/python manage.py makemigrations --check --dry-run

migrate: $(STAMP)
	$(EMBEDDED) $(BIN)/python manage.py migrate

seed: $(STAMP)
	$(EMBEDDED) $(BIN)/python manage.py seed_demo

# Send digests by hand into var/mail/ (alongside or without `make run`):
#   make digests                          everyone, now
#   make digests ARGS="--now --user ana.jansen"
digests: $(STAMP) messages
	EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend \
		$(BIN)/python -m esn.embedded exec --like-run -- $(BIN)/python manage.py send_digests $(or $(ARGS),--now)

shell: $(STAMP)
	DEBUG=1 $(EMBEDDED) $(BIN)/python manage.py shell

bench: $(STAMP)
	$(EMBEDDED) $(BIN)/python bench/feed.py $(ARGS)

# Mixed load with locust against gunicorn -c gunicorn.conf.py and production settings, on its
# own database (bench/README.md): ARGS="--data generated --steps 50,100,200,400 --duration 300"
bench-load: $(STAMP) messages
	$(EMBEDDED) $(BIN)/python bench/load/run.py $(ARGS)

# Its own database (esn_bench_search, created and emptied): ARGS="--sizes 10000,100000"
bench-search: $(STAMP)
	$(EMBEDDED) $(BIN)/python bench/search.py $(ARGS)

# The @people and #hashtag pickers on bench/feed.py's data (run `make bench` first).
bench-pickers: $(STAMP)
	$(EMBEDDED) $(BIN)/python bench/pickers.py

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache
