"""The hardware-in-the-loop rig: the whole daemon against emulated devices by default, against real
ones when pointed at them, with the same checks.

    BRANCHDOOR_HIL_CAMERA=/dev/video0            a real camera (default: a scene camera)
    BRANCHDOOR_HIL_SERIAL_LD2450=/dev/ttyUSB0    a real LD2450 radar (default: an emulator on a pty)
    BRANCHDOOR_HIL_EXPECT_IN=N                   people the tester walks in through the door line
                                                 during the run (default with the emulator: its script)
    BRANCHDOOR_HIL_SECONDS=60                    how long the run lasts with real hardware
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from device.demo.broker import MosquittoBroker
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.geometry import Placement
from tests.e2e.daemon import Daemon
from tests.e2e.test_daemon import door_scene
from tests.keys import privacy_section
from tests.mqtt_helpers import Subscriber

pytestmark = pytest.mark.hil

RADAR = Placement(2.0, 3.5, 180.0)  # inside the branch, facing the door line y = 0, x 1..3


def two_walk_in() -> Scenario:
    return Scenario(
        walkers=(
            Walker(((3.0, 2.0, -1.0), (5.0, 2.0, 1.0), (30.0, 2.2, 1.2))),
            Walker(((6.0, 2.5, -1.0), (8.0, 2.5, 1.5), (30.0, 2.6, 1.6))),
        ),
        duration_s=30.0,
    )


@pytest.fixture
def radar_port() -> Iterator[tuple[str, int | None]]:
    """(port, people expected in) — from the environment, or an emulator walking two people in."""
    real = os.environ.get("BRANCHDOOR_HIL_SERIAL_LD2450")
    if real:
        expect = os.environ.get("BRANCHDOOR_HIL_EXPECT_IN")
        yield real, int(expect) if expect else None
        return
    emulator = Ld2450Emulator(two_walk_in(), RADAR)
    try:
        yield emulator.start(), 2
    finally:
        emulator.stop()


def metric(exposition: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", exposition, re.MULTILINE)
    assert match is not None, f"{series} not in /metrics"
    return float(match.group(1))


def camera_section(tmp_path: Path, grace_photo: Path, astronaut_head: Path) -> str:
    real = os.environ.get("BRANCHDOOR_HIL_CAMERA")
    if real:
        return f'[camera]\ntype = "opencv"\nsource = "{real}"\n'
    scene = door_scene(tmp_path / "scene.toml", grace_photo, astronaut_head)
    return f'[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'


def test_the_rig_sees_frames_sensors_and_door_counts(
    tmp_path: Path, radar_port: tuple[str, int | None], grace_photo: Path, astronaut_head: Path
) -> None:
    port, expect_in = radar_port
    emulated = "BRANCHDOOR_HIL_SERIAL_LD2450" not in os.environ
    with MosquittoBroker() as broker:
        config = tmp_path / "branchdoor.toml"
        config.write_text(
            '[branch]\nid = "hil"\n'
            + camera_section(tmp_path, grace_photo, astronaut_head)
            + f'[mqtt]\nport = {broker.port}\n[storage]\nstate_dir = "{tmp_path / "state"}"\n'
            + privacy_section(tmp_path)
            + "[observability]\nport = 0\nhealth_interval_s = 2.0\n"
            f'[[sensors]]\nid = "door-radar"\ntype = "ld2450"\nport = "{port}"\n'
            "[floor]\nwidth_m = 8.0\ndepth_m = 6.0\nsnapshot_interval_s = 1.0\n"
            f"[floor.placements.door-radar]\nx_m = {RADAR.x_m}\ny_m = {RADAR.y_m}\n"
            f"heading_deg = {RADAR.heading_deg}\n"
            '[[floor.door_lines]]\nname = "door"\na = [1.0, 0.0]\nb = [3.0, 0.0]\ninside = "left"\n'
        )
        screen = Subscriber(broker.port, "branchdoor/hil/#")
        daemon = Daemon(config)
        try:
            assert daemon.wait_logged("health and metrics on", 60), daemon.log_text()
            match = re.search(r"http://127\.0\.0\.1:(\d+)/healthz", daemon.log_text())
            assert match is not None
            base = f"http://127.0.0.1:{match.group(1)}"
            started = time.monotonic()
            if emulated:
                # The emulator's walkers set off when the daemon opens the port: wait for the last one
                # to be counted, however long a loaded machine takes (no count in time is a failure).
                assert screen.wait_for(lambda: door_in(screen) == expect_in, 120), door_in(screen)
            else:
                time.sleep(float(os.environ.get("BRANCHDOOR_HIL_SECONDS", "60")))  # the tester walks
            seconds = time.monotonic() - started
            verdict = httpx.get(f"{base}/healthz", timeout=10).json()
            assert verdict["status"] == "ok", verdict["problems"]
            metrics = httpx.get(f"{base}/metrics", timeout=10).text
            readings = metric(metrics, 'branchdoor_sensor_readings_total{sensor="door-radar"}')
            bad = metric(metrics, 'branchdoor_sensor_bad_frames_total{sensor="door-radar"}')
            assert readings >= 5 * seconds  # an LD2450 speaks about 10 times a second
            assert bad <= 0.05 * readings
            code, _ = daemon.terminate(30)
            assert code == 0
            assert screen.on("/floor"), "no floor snapshots"
            if expect_in is not None:  # the last word, published as the daemon stops, agrees
                assert door_in(screen) == expect_in
        finally:
            daemon.kill()
            screen.close()


def door_in(screen: Subscriber) -> int | None:
    floors = screen.on("/floor")
    return json.loads(floors[-1].payload)["lines"]["door"]["in"] if floors else None
