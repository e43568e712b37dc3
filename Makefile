# Memscape from a checkout (Linux and macOS; on Windows see the README). `make run` opens
# the app on its default preset, `make test` runs the tests; both first run
# packaging/setup.sh (system libraries when missing, .venv with the requirements), which
# returns at once when nothing changed.
#   make run ARGS="--preset ring"       arguments for main.py
#   make test PYTEST_ARGS="tests/engine" arguments for pytest
#   make wheel                          dist/memscape-VERSION-py3-none-any.whl
#   make bundle                         dist/memscape/, the one-folder PyInstaller bundle
PYTHON ?= python3
VENV := .venv
ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup run test wheel bundle clean

setup:
	PYTHON=$(PYTHON) sh packaging/setup.sh

run: setup
	$(VENV)/bin/python main.py $(ARGS)

# pytest starts its own Xvfb display when Xvfb is installed (pytest-xvfb) and
# tests/conftest.py sets software OpenGL, so a machine with a GPU renders the tests as CI does.
test: setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

wheel: setup
	$(VENV)/bin/python -m pip wheel --disable-pip-version-check --quiet --no-deps --wheel-dir dist .

bundle:
	PYTHON=$(PYTHON) sh packaging/build-bundle.sh

clean:
	rm -rf $(VENV) build dist memscape.egg-info
