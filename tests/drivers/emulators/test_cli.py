"""`python -m drivers.emulators`, run as a field engineer runs it: it says where it stands and what it
plays, in a form the kiosk's config takes, and plays the walkers it is given on a real pty."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from pydantic import TypeAdapter

from device.config_file import parse_config
from drivers.emulators.registry import EMULATORS
from drivers.emulators.walkers_file import load_walkers, parse_walkers
from drivers.serial.geometry import Placement
from drivers.serial.readings import PresenceReading, RangeReading, ScanReading, TargetsReading
from drivers.serial.registry import SensorConfig, open_scanner, open_sensor
from drivers.serial.scanner import ScannerConfig
from tests.conftest import REPO
from tests.drivers.serial.collect import Collector
from tests.waiting import PATIENCE_S, eventually

pytestmark = pytest.mark.subprocess

WAITING = "# Waiting for a host to open the port"


class Emulator:
    """`python -m drivers.emulators ARGS` in its own process group, its output collected line by line."""

    def __init__(self, *args: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "drivers.emulators", *args],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def printed_until(self, marker: str) -> str:
        """What it printed before the line starting with `marker`, once that line is out."""
        found = eventually(lambda: any(line.startswith(marker) for line in self.lines))
        assert found, f"no {marker!r} line; printed {self.lines}, stderr {self.stderr()}"
        lines = list(self.lines)
        return "\n".join(lines[: next(i for i, line in enumerate(lines) if line.startswith(marker))])

    def stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return "(still running)"
        return self.process.stderr.read()

    def type_line(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(PATIENCE_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def standing(*where: tuple[float, float]) -> str:
    """A walkers file of people standing still from scenario time 0 for ten minutes."""
    return "".join(
        f'[[walkers]]\nname = "stands at {x}, {y}"\n'
        f"waypoints = [{{ t_s = 0.0, x_m = {x}, y_m = {y} }}, {{ t_s = 600.0, x_m = {x}, y_m = {y} }}]\n"
        for x, y in where
    )


def sensor_config(printed: dict[str, Any]) -> Any:
    fields = {**printed["sensors"][0], "reconnect_min_s": 0.05, "reconnect_max_s": 0.2}
    return TypeAdapter(SensorConfig).validate_python(fields)


def test_help_lists_every_emulator_the_package_has() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "drivers.emulators", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    listed = set(re.findall(r"^ {4}(\w+)", done.stdout, re.M))
    assert listed == {*EMULATORS, "scanner"}


def test_the_radar_prints_its_placement_and_scenario_and_plays_the_walkers_file(tmp_path: Path) -> None:
    walkers = tmp_path / "two-and-one-behind.toml"
    walkers.write_text(standing((4.0, 3.0), (2.5, 4.0), (4.0, 0.5)))  # the third is behind the radar
    with Emulator("ld2450", "--placement", "4,1,20", "--walkers", str(walkers), "--id", "door") as emulator:
        printed = emulator.printed_until(WAITING)

        # What it printed is TOML a kiosk's config takes as it is, beside a [floor] plan.
        kiosk = f'[branch]\nid = "b1"\n[storage]\nstate_dir = "{tmp_path}"\n'
        kiosk += f"[floor]\nwidth_m = 8.0\ndepth_m = 6.0\n{printed}"
        config = parse_config(kiosk, tmp_path / "kiosk.toml")
        assert config.floor is not None
        placed = config.floor.placements["door"]
        assert (placed.x_m, placed.y_m, placed.heading_deg) == (4.0, 1.0, 20.0)
        (sensor,) = config.sensors
        assert sensor.type == "ld2450" and Path(sensor.port).exists()

        # Its scenario, in the comments, is the walkers file it was given.
        scenario = printed[printed.index("# It plays") :].splitlines()[2:]
        assert parse_walkers("\n".join(line.lstrip("# ") for line in scenario), walkers) == load_walkers(
            walkers
        )

        # Read with the project's parser, the targets are where the two walkers in its view stand.
        radar = Placement(placed.x_m, placed.y_m, placed.heading_deg)
        with Collector(open_sensor(sensor_config(tomllib.loads(printed)))) as collected:
            reading = collected.until(lambda r: isinstance(r, TargetsReading) and len(r.targets) == 2)
        assert isinstance(reading, TargetsReading)
        on_floor = sorted(radar.to_floor(t.x_mm, t.y_mm) for t in reading.targets)
        assert on_floor == [pytest.approx((2.5, 4.0), abs=0.01), pytest.approx((4.0, 3.0), abs=0.01)]
        emulator.printed_until("# A host opened the port: scenario time 0.")
    assert emulator.process.returncode == 0
    assert not Path(sensor.port).parent.exists(), "stopped, it leaves no pty directory behind"


@pytest.mark.parametrize("sensor_type", sorted(EMULATORS))
def test_every_floor_sensor_emulator_is_reachable_from_the_command_line(
    sensor_type: str, tmp_path: Path
) -> None:
    walkers = tmp_path / "ahead.toml"
    walkers.write_text(standing((3.0, 2.0)))  # 2 m in front of the default placement (3, 0, heading 0)
    with Emulator(sensor_type, "--walkers", str(walkers)) as emulator:
        printed = tomllib.loads(emulator.printed_until(WAITING))
        assert printed["floor"]["placements"] == {
            f"emulated-{sensor_type}": {"x_m": 3.0, "y_m": 0.0, "heading_deg": 0.0}
        }
        with Collector(open_sensor(sensor_config(printed))) as collected:
            reading = collected.until(lambda r: not isinstance(r, TargetsReading) or bool(r.targets))
    match reading:
        case TargetsReading(targets):
            assert [(t.x_mm, t.y_mm) for t in targets] == [(0, 2000)]
        case PresenceReading() as presence:
            assert presence.detection_cm == 200
        case RangeReading(distance):
            assert distance == 2000
        case _:
            pytest.fail(f"{sensor_type}: unexpected {reading}")


def test_a_bad_walkers_file_is_refused_with_file_line_and_key(tmp_path: Path) -> None:
    walkers = tmp_path / "typo.toml"
    walkers.write_text(
        "[[walkers]]\nwaypoints = [\n    { t_s = 0.0, x_m = 2.0, y_m = 0.0 },\n    { t_s = 0.0 },\n]\n"
    )
    with Emulator("ld2450", "--walkers", str(walkers)) as emulator:
        assert emulator.process.wait(PATIENCE_S) == 1
        problems = emulator.stderr()
    assert problems.splitlines() == [
        f"{walkers}:4: walkers.0.waypoints.1.x_m: required key is missing",
        f"{walkers}:4: walkers.0.waypoints.1.y_m: required key is missing",
    ]


def test_the_scanner_is_reachable_and_scans_each_line_typed(tmp_path: Path) -> None:
    with Emulator("scanner") as emulator:
        printed = tomllib.loads(emulator.printed_until("# Type a code"))
        reader = open_scanner(ScannerConfig(port=printed["scanner"]["port"], reconnect_min_s=0.05))
        with Collector(reader) as collected:
            assert reader.opened.wait(PATIENCE_S)
            emulator.type_line("BDT-ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            assert collected.take(1) == [ScanReading("BDT-ABCDEFGHIJKLMNOPQRSTUVWXYZ")]
        emulator.printed_until("# scanned: BDT-ABCDEFGHIJKLMNOPQRSTUVWXYZ")
