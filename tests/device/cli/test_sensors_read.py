"""`branchdoor sensors read` as a field engineer runs it, against emulated sensors on real ptys: readings
in words, a rate and bad-frame line each second and one for the run, and a port that does not exist
named at once."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.emulators.base import SerialEmulator
from drivers.emulators.corruption import Corruption
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.pty import PtyPort
from drivers.emulators.ranger import A02yyuwEmulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.geometry import Placement
from tests.conftest import REPO

pytestmark = [pytest.mark.subprocess, pytest.mark.slow]

RADAR = Placement(3.0, 0.0, 0.0)
RATE_LINE = re.compile(r"^radar: (\d+\.\d) readings/s, (\d+\.\d) % bad frames$")


def standing(*where: tuple[float, float]) -> Scenario:
    """People standing still in view from the moment the command opens the port (scenario time 0)."""
    return Scenario(tuple(Walker(((0.0, x, y), (600.0, x, y))) for x, y in where), 600.0)


def sensors_read(*args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "device", "sensors", "read", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def read_from(emulator: SerialEmulator, sensor_type: str, *args: str) -> subprocess.CompletedProcess[str]:
    port = emulator.start()
    try:
        return sensors_read("--type", sensor_type, "--port", port, *args)
    finally:
        emulator.stop()


def test_radar_readings_are_printed_as_a_person_reads_them_with_a_rate_each_second() -> None:
    radar = Ld2450Emulator(standing((3.0, 2.0), (2.0, 3.0)), RADAR)
    # 25 frames at the device's 10 a second: more than two seconds, so at least two rate lines.
    done = read_from(radar, "ld2450", "--count", "25", "--timeout", "100")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    readings = [line for line in lines if "target" in line]
    assert len(readings) == 25
    assert set(readings) == {
        "radar: 2 targets: 0.00 m right, 2.00 m ahead, still; 1.00 m left, 3.00 m ahead, still"
    }
    rates = [RATE_LINE.match(line) for line in lines if "readings/s" in line and "in all" not in line]
    assert len(rates) >= 2 and all(rates), lines
    assert re.fullmatch(r"radar: 25 reading\(s\) in all, \d+\.\d readings/s, 0\.0 % bad frames", lines[-1])


def test_the_share_of_bad_frames_shows_line_noise() -> None:
    noisy = Ld2450Emulator(standing((3.0, 2.0)), RADAR, corruption=Corruption(flip_bit_rate=0.005, seed=4))
    done = read_from(noisy, "ld2450", "--count", "25", "--timeout", "100")
    assert done.returncode == 0, done.stderr
    summary = re.fullmatch(
        r"radar: 25 reading\(s\) in all, \d+\.\d readings/s, (\d+\.\d) % bad frames",
        done.stdout.splitlines()[-1],
    )
    assert summary is not None, done.stdout
    assert float(summary.group(1)) > 0


def test_a_ranger_reads_in_metres() -> None:
    ranger = A02yyuwEmulator(standing((3.0, 2.31)), RADAR)
    done = read_from(ranger, "a02yyuw", "--count", "3", "--timeout", "100")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == ["ranger: 2.31 m"] * 3


def test_with_json_stdout_stays_one_reading_per_line_and_the_rates_go_to_stderr() -> None:
    radar = Ld2450Emulator(standing((3.0, 2.0)), RADAR)
    done = read_from(radar, "ld2450", "--count", "3", "--json", "--timeout", "100")
    assert done.returncode == 0, done.stderr
    assert [line[:20] for line in done.stdout.splitlines()] == ['{"kind": "targets", '] * 3
    assert re.search(r"^radar: 3 reading\(s\) in all, ", done.stderr, re.M)


def test_a_port_that_does_not_exist_fails_at_once_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "ttyUSB9"
    # Before, it waited out --timeout for the port to appear: far longer than this test lets it run.
    done = sensors_read("--type", "ld2450", "--port", str(missing), "--timeout", "900", timeout_s=120)
    assert done.returncode == 1
    assert done.stderr == f"no such port: {missing}\n" and done.stdout == ""


def test_a_silent_port_ends_with_a_rate_line_of_nothing() -> None:
    with PtyPort() as silent:
        done = sensors_read("--type", "a02yyuw", "--port", silent.path, "--timeout", "2")
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "ranger: 0 reading(s) in all, 0.0 readings/s, 0.0 % bad frames"
