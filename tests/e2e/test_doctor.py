"""`branchdoor doctor` as a field engineer runs it: a missing camera and a wrong broker password are two
FAIL lines that say what to fix; a healthy kiosk passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from device.demo.broker import MosquittoBroker
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import door_traffic
from drivers.serial.geometry import Placement

pytestmark = pytest.mark.e2e


def doctor(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "device", "doctor", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_camera_and_wrong_broker_password(tmp_path: Path) -> None:
    password = tmp_path / "mqtt-password"
    password.write_text("not-the-password\n")
    password.chmod(0o600)
    with MosquittoBroker(users={"kiosk-0001": "s3cret"}) as broker:
        config = tmp_path / "branchdoor.toml"
        config.write_text(
            '[branch]\nid = "0001"\n[camera]\ntype = "opencv"\nsource = "/dev/video-missing"\n'
            "reconnect_min_s = 0.5\nreconnect_max_s = 1.0\n"
            f'[mqtt]\nport = {broker.port}\nusername = "kiosk-0001"\npassword_file = "{password}"\n'
            f'[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        )
        done = doctor(config)
    assert done.returncode == 1
    fails = [line for line in done.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 2, done.stdout
    assert "camera /dev/video-missing" in fails[0] and "video group" in fails[0]
    assert "refused the connection" in fails[1] and "mqtt.password_file" in fails[1]
    assert any(line.startswith("PASS  disk") for line in done.stdout.splitlines())


def test_a_healthy_kiosk_passes_every_check(tmp_path: Path, grace_photo: Path) -> None:
    scene = tmp_path / "scene.toml"
    scene.write_text(
        f'fps = 5\nduration_s = 2.0\n[[actors]]\nphoto = "{grace_photo}"\nenter_s = 0\nleave_s = 2\n'
    )
    radar = Ld2450Emulator(door_traffic(), Placement(3.0, 0.0, 0.0))
    port = radar.start()
    try:
        with MosquittoBroker() as broker:
            config = tmp_path / "branchdoor.toml"
            config.write_text(
                f'[branch]\nid = "0001"\n[camera]\ntype = "scene"\nscript = "{scene}"\n'
                f'[mqtt]\nport = {broker.port}\n[storage]\nstate_dir = "{tmp_path / "state"}"\n'
                f'[[sensors]]\nid = "radar"\ntype = "ld2450"\nport = "{port}"\n'
                "[floor]\nwidth_m = 6.0\ndepth_m = 6.0\n[floor.placements.radar]\nx_m = 3.0\ny_m = 0.0\n"
            )
            done = doctor(config)
    finally:
        radar.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["PASS"] * 5, done.stdout
