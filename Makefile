# Two commands on a fresh Debian 12 / Raspberry Pi OS machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup tools demo test lint typecheck unit hil install uninstall clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "setuptools<81" wheel
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev,demo]"
	# Without --no-deps pip would build dlib from source (~20 min); dlib-bin already provides it.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps "face_recognition==1.3.0"
	touch $@

tools:
	@scripts/ensure-apt mosquitto=mosquitto faketime=faketime systemd-analyze=systemd chromium=chromium

demo: setup
	@scripts/ensure-apt --optional mosquitto=mosquitto
	$(BIN)/branchdoor demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# The hardware-in-the-loop rig: emulated devices by default; see tests/hil/test_rig.py to point it
# at a real camera and radar (BRANCHDOOR_HIL_CAMERA, BRANCHDOOR_HIL_SERIAL_LD2450, ...).
hil: setup tools
	$(BIN)/pytest -m hil -v

# Fast and in-process: no subprocess, browser or real-time test (markers in pyproject.toml).
unit: setup
	$(BIN)/pytest -m "not (e2e or hil or subprocess or browser or slow or faces)"

# Two workers: most tests wait on a broker, a daemon or a browser, so two share CI's two cores well.
PYTEST_WORKERS ?= 2

test: setup tools lint typecheck
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# On a kiosk: `sudo make install` (user, /opt/branchdoor, /etc/branchdoor, the unit enabled).
install:
	scripts/install

uninstall:
	scripts/uninstall

clean:
	rm -rf $(VENV) .demo .pytest_cache .mypy_cache .ruff_cache
