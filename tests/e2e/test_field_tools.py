"""The field engineer's commands, run as they are on site: real pty sensor, real database, real PNG."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from device.floor.bins_store import FloorBinStore
from device.floor.records import FloorBin
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.pty import PtyPort
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.geometry import Placement

pytestmark = pytest.mark.e2e


def branchdoor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "device", *args], capture_output=True, text=True, timeout=60)


def test_sensors_read_prints_decoded_json_lines() -> None:
    # Someone stands in view from the moment the command opens the port (scenario time 0).
    standing = Scenario((Walker(((0.0, 3.0, 2.0), (600.0, 3.0, 2.0))),), 600.0)
    emulator = Ld2450Emulator(standing, Placement(3.0, 0.0, 0.0))
    port = emulator.start()
    try:
        done = branchdoor("sensors", "read", "--type", "ld2450", "--port", port, "--count", "5", "--json")
    finally:
        emulator.stop()
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 5 and all(line["kind"] == "targets" for line in lines)
    assert all(line["targets"] for line in lines)


def test_sensors_read_says_what_to_check_when_nothing_answers() -> None:
    with PtyPort() as silent:
        done = branchdoor("sensors", "read", "--type", "a02yyuw", "--port", silent.path, "--timeout", "1")
    assert done.returncode == 1
    assert "no valid readings from a02yyuw" in done.stderr and "baud (9600)" in done.stderr


def test_heatmap_renders_stored_bins(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text(
        f'[branch]\nid = "b1"\n[storage]\nstate_dir = "{tmp_path}"\n'
        "[floor]\nwidth_m = 4.0\ndepth_m = 3.0\ncell_size_m = 0.5\n"
    )
    grid = np.zeros((6, 8), np.float32)
    grid[2, 3] = 120.0
    store = FloorBinStore(tmp_path / "branchdoor.db")
    start = 1_888_888 * 900.0
    store.save([FloorBin(start, 900, 900.0, {}, {}, {}, {}, 1, 0.1, grid)])
    store.close()
    out = tmp_path / "heat.png"
    since = "2023-11-07T00:00"
    done = branchdoor(
        "heatmap", "--config", str(config), "--since", since, "--until", "2030-01-01", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    empty = branchdoor(
        "heatmap",
        "--config",
        str(config),
        "--since",
        "2020-01-01",
        "--until",
        "2020-01-02",
        "--out",
        str(out),
    )
    assert (
        empty.returncode == 1
        and "the floor's records start" in empty.stderr
        and "Traceback" not in empty.stderr
    )
