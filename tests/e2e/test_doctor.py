"""`branchdoor doctor` as a field engineer runs it: a missing camera and a wrong broker password are two
FAIL lines that say what to fix; a healthy kiosk passes; a running one is not knocked off its broker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from device.demo.broker import BrokerTls, MosquittoBroker, free_port
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import door_traffic
from drivers.serial.geometry import Placement
from tests.certs import BranchCA
from tests.e2e.daemon import Daemon
from tests.keys import privacy_section
from tests.mqtt_helpers import Subscriber

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
            "[observability]\nport = 0\n"  # picked at start: a fixed port may be another test's
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
                "[observability]\nport = 0\n"
                f'[[sensors]]\nid = "radar"\ntype = "ld2450"\nport = "{port}"\n'
                "[floor]\nwidth_m = 6.0\ndepth_m = 6.0\n[floor.placements.radar]\nx_m = 3.0\ny_m = 0.0\n"
            )
            done = doctor(config)
    finally:
        radar.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["PASS"] * 6, done.stdout


def test_doctor_on_a_running_kiosk_does_not_knock_it_off_the_broker(tmp_path: Path) -> None:
    """A broker that binds client ids to accounts (config/mosquitto/) holds one connection per kiosk
    certificate: the doctor connecting with it would take the daemon's, its Last Will telling every
    screen the kiosk is offline. The running daemon already knows whether it is connected: ask it."""
    ca = BranchCA(tmp_path)
    broker_cert = ca.issue("localhost", server=True, stem="broker")
    kiosk_cert = ca.issue("kiosk-0427-door-1")
    tls = BrokerTls(ca.ca_file, broker_cert.cert, broker_cert.key)
    scene = tmp_path / "empty.toml"
    scene.write_text("fps = 5\nduration_s = 5.0\n")
    # The extra line lands on the last listener, the TLS one, as in the shipped configuration.
    with MosquittoBroker(tls=tls, extra_config="use_username_as_clientid true\n") as broker:
        config = tmp_path / "branchdoor.toml"
        config.write_text(
            f'[branch]\nid = "0427"\ndevice_id = "door-1"\n'
            f'[camera]\ntype = "scene"\nscript = "{scene}"\nloop = true\n'
            f"[mqtt]\nport = {tls.port}\n"
            f'[mqtt.tls]\nca_file = "{ca.ca_file}"\n'
            f'cert_file = "{kiosk_cert.cert}"\nkey_file = "{kiosk_cert.key}"\n'
            f'[storage]\nstate_dir = "{tmp_path / "state"}"\n'
            f"[observability]\nport = {free_port()}\nhealth_interval_s = 1.0\n" + privacy_section(tmp_path)
        )
        screen = Subscriber(broker.port, "branchdoor/0427/device/door-1/#")
        daemon = Daemon(config)
        try:
            assert screen.wait_for(
                lambda: [m.payload for m in screen.on("/availability")] == [b"online"], 60
            ), daemon.log_text()
            done = doctor(config)
            # Health comes every second on the same connection after any Last Will the doctor caused.
            healths = len(screen.on("/health"))
            assert screen.wait_for(lambda: len(screen.on("/health")) > healths, 20), daemon.log_text()
            availability = [m.payload for m in screen.on("/availability")]
            daemon.terminate()
        finally:
            daemon.kill()
            screen.close()
    assert availability == [b"online"], f"the doctor knocked the kiosk off the broker: {availability}"
    [line] = [line for line in done.stdout.splitlines() if "broker" in line]
    assert line.startswith("PASS") and "running daemon" in line, done.stdout
