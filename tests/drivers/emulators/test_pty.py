"""PtyPort: a real /dev/pts device behind a stable link that unplugs and replugs like USB."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import serial

from common.backoff import Backoff
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.pty import PtyPort
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.geometry import Placement
from drivers.serial.ld2450 import Ld2450Parser
from drivers.serial.port import SerialReader
from drivers.serial.readings import TargetsReading
from tests.drivers.serial.collect import Collector


def test_the_link_points_at_a_real_pts_device() -> None:
    with PtyPort(name="ttyUSB7") as port:
        assert Path(port.path).name == "ttyUSB7"
        assert port.pts_path is not None and port.pts_path.startswith("/dev/pts/")
        assert os.path.realpath(port.path) == port.pts_path
        with serial.Serial(port.path, 256000, timeout=0.5) as device:
            port.write(b"\x0d\x0a\x00\xff")  # raw from the start: no CR/LF translation
            assert device.read(4) == b"\x0d\x0a\x00\xff"
            device.write(b"ping")
            device.flush()
            assert port.read() == b"ping"
    assert not Path(port.path).exists()
    assert not port.directory.exists()


def test_an_emulator_built_and_never_started_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    Ld2450Emulator(Scenario((), 1.0), Placement(0.0, 0.0, 0.0))
    started = Ld2450Emulator(Scenario((), 1.0), Placement(0.0, 0.0, 0.0))
    started.start()
    assert len(list(tmp_path.glob("branchdoor-pty-*"))) == 1
    started.stop()
    started.stop()  # twice, as a test's finally and a fixture may both do
    assert list(tmp_path.glob("branchdoor-pty-*")) == []


def test_unplug_removes_the_link_and_replug_brings_a_fresh_device() -> None:
    with PtyPort() as port:
        first = port.pts_path
        port.unplug()
        assert not port.plugged and not os.path.lexists(port.path)
        assert port.write(b"lost") == 0 and port.read() == b""
        port.replug()
        assert port.plugged and os.path.realpath(port.path) == port.pts_path
        assert first is not None and port.pts_path is not None


def test_a_host_opening_the_port_is_noticed() -> None:
    # Emulators start their scenario on it, so a slow host misses nothing.
    with PtyPort() as port:
        assert not port.reader_present()
        with serial.Serial(port.path, 256000, timeout=0.5):
            assert port.reader_present()
        assert not port.reader_present()
        port.unplug()
        assert not port.reader_present()


def test_a_running_emulator_survives_being_unplugged_and_the_reader_catches_up() -> None:
    standing = Scenario((Walker(((0.0, 0.0, 2.0), (1000.0, 0.0, 2.0))),), 1000.0)
    emulator = Ld2450Emulator(standing, Placement(0.0, 0.0, 0.0), speed=5.0)
    path = emulator.start()
    try:
        reader = SerialReader(path, 256000, Ld2450Parser(), backoff=Backoff(0.02, 0.1))
        with Collector(reader) as collector:
            collector.take(3)
            emulator.port.unplug()
            emulator.port.plug()
            collector.until(lambda _r: reader.reconnects == 1)
            emulator.port.replug()
            collector.until(lambda _r: reader.reconnects == 2)
            readings = collector.take(3)  # and frames keep coming from the fresh device
        assert reader.reconnects == 2
        assert all(isinstance(r, TargetsReading) and r.targets[0].y_mm == 2000 for r in readings)
    finally:
        emulator.stop()
