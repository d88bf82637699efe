"""Shared fixtures: a real Mosquitto on loopback, real portraits, real face templates."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from device.demo import faceset
from device.demo.broker import MosquittoBroker, find_mosquitto
from device.recognition.faces import FaceEngine, Template, read_bgr
from tests.process_guard import pytest_configure, pytest_runtest_protocol

__all__ = ["pytest_configure", "pytest_runtest_protocol"]  # the process guard's hooks, used by pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def broker() -> Iterator[MosquittoBroker]:
    if find_mosquitto() is None:
        pytest.fail("Mosquitto is required by the tests: `make test` installs it (apt-get install mosquitto)")
    with MosquittoBroker() as running:
        yield running


@pytest.fixture(scope="session")
def grace_photo() -> Path:
    path = faceset.grace_hopper()
    assert path is not None, "matplotlib's grace_hopper.jpg is missing: run `make setup`"
    return path


@pytest.fixture(scope="session")
def astronaut_photo() -> Path:
    path = faceset.astronaut()
    assert path is not None, "scikit-image's astronaut.png is missing: run `make setup`"
    return path


@pytest.fixture(scope="session")
def astronaut_head(astronaut_photo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The astronaut portrait cropped to her head (the full photo has a second, false, face)."""
    image = read_bgr(astronaut_photo)
    assert image is not None
    left, top, right, bottom = faceset.ASTRONAUT_HEAD
    path = tmp_path_factory.mktemp("faces") / "astronaut_head.png"
    cv2.imwrite(str(path), image[top:bottom, left:right])
    return path


@pytest.fixture(scope="session")
def engine() -> FaceEngine:
    return FaceEngine(detect_width=800, upsample=1)


def _template(engine: FaceEngine, photo: Path) -> Template:
    image = read_bgr(photo)
    assert image is not None
    boxes = engine.detect(image)
    assert len(boxes) == 1, f"{photo}: expected one face, found {len(boxes)}"
    return engine.encode(image, boxes)[0]


@pytest.fixture(scope="session")
def grace_template(engine: FaceEngine, grace_photo: Path) -> Template:
    return _template(engine, grace_photo)


@pytest.fixture(scope="session")
def astronaut_template(engine: FaceEngine, astronaut_head: Path) -> Template:
    return _template(engine, astronaut_head)


@pytest.fixture(scope="session")
def face_data() -> Path:
    root = faceset.face_data_dir()
    if root is None:
        pytest.skip(f"no labeled face set: set {faceset.FACE_DATA_ENV} to a folder with labels.csv")
    return root


def random_templates(n: int, seed: int = 0) -> np.ndarray:
    """Unit-norm-ish vectors shaped like dlib templates, for gallery arithmetic tests."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(0, 0.09, size=(n, 128)).astype(np.float32)
    return vectors


def processes_mentioning(text: str) -> dict[int, str]:
    """Live processes whose command line holds `text` (this run's temporary folder), but this one."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found[int(entry.name)] = cmdline.strip()
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """No process a test started may outlive the run: a daemon left behind (a wrapper such as
    faketime killed without its child) fails the run, and is ended here."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or factory._basetemp is None:
        return
    base = str(factory.getbasetemp())
    deadline = time.monotonic() + 5.0
    while (left := processes_mentioning(base)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if left:
        lines = "\n".join(f"  {pid}: {cmdline}" for pid, cmdline in left.items())
        print(f"\nprocesses started by the tests outlived them (now killed):\n{lines}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
