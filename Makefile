# privlens — two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= scripts/experiments/demo.toml
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup build demo test

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

build: setup
	$(PY) -m scripts.build $(CONFIG)

demo: build
	$(VENV)/bin/streamlit run app.py

test: setup
	$(PY) -m pytest -q
