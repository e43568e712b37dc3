# Memscape from a checkout. `make run` opens the app on its default preset, `make test` runs
# the tests; both first run packaging/setup.sh (system libraries when missing, .venv with the
# requirements), which returns at once when nothing changed.
#   make run ARGS="--preset ring"       arguments for main.py
#   make test PYTEST_ARGS="tests/engine" arguments for pytest
PYTHON ?= python3
VENV := .venv
ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup run test clean

setup:
	PYTHON=$(PYTHON) bash packaging/setup.sh

run: setup
	$(VENV)/bin/python main.py $(ARGS)

# pytest starts its own Xvfb display (pyproject.toml) and tests/conftest.py sets software
# OpenGL, so a machine with a GPU renders the tests as CI does.
test: setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV)
