# The two set-up commands: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Messages, QR codes and the VNPay return address point at the port actually served.
export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
export FLASK_APP := postal_gateway.app:create_app

.PHONY: run test test-fast setup translations browser services migrate demo messages pot

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq --upgrade pip
	$(BIN)/pip install -qq -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d postal_gateway/translations

migrate: setup
	$(BIN)/alembic upgrade head

demo: migrate
	$(BIN)/flask load-demo

# Web app and its worker (with beat) on SQLite and an in-process broker: no other server needed.
# The local VNPay and Zalo sandboxes are development tools, off unless switched on: `make run` (and the demo
# it loads, a prerequisite that inherits this) pays through the one and sends Zalo notices to the other.
run: export VNPAY_SANDBOX := 1
run: export ZALO_SANDBOX := 1
run: export DEVELOPMENT_MESSAGES := 1
run: demo
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C stops web and worker)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A postal_gateway.core.worker worker --beat --loglevel=INFO --concurrency=1 \
		--schedule instance/celerybeat-schedule & \
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) --workers 1 --threads 4 'postal_gateway.app:create_app()'

browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core; }

services:
	scripts/ensure_services.sh

# Each test runs in a rolled-back transaction; tests marked `commits` have their tables emptied after them.
# pytest-xdist runs them on one worker per core, each with its own database; loadgroup keeps the
# RabbitMQ tests on one worker, since one of them restarts the broker. `PYTEST_ARGS=` runs serially.
PYTEST_ARGS ?= -n auto --dist loadgroup

test: setup browser services
	$(BIN)/pytest $(PYTEST_ARGS)

# The unit tests: no browser, nothing slow (over ~3 s), nothing that must really commit (threads, a live
# server, the RabbitMQ relay), 30 examples per property instead of 200; no Chromium needed.
test-fast: setup services
	$(BIN)/pytest -m "not browser and not slow and not commits" --hypothesis-profile=quick $(PYTEST_ARGS)

# The message ids of the code and templates (tests/app/test_translations.py extracts them the same way).
POT ?= /tmp/postal_gateway_messages.pot
pot: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ -k _l -k lazy_gettext --ignore-dirs='.venv test-artifacts instance tests bench' -o $(POT) .

# Refresh the English catalogue from the Vietnamese message ids in the code and templates.
messages: pot
	$(BIN)/pybabel update -i $(POT) -d postal_gateway/translations --no-fuzzy-matching
