"""`branchdoor doctor`, live, as the real command: the ports health and dashboard need, the scanner's and
sensors' ports, a video file, and a state directory whose parents do not exist yet. Every check ends
in exactly one PASS or FAIL line; one that fails unforeseen is a FAIL naming it, never a traceback."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.cli.doctor import Check, run_checks
from device.config_file import parse_config
from device.demo.broker import MosquittoBroker
from tests.conftest import REPO

LINE = re.compile(r"^(PASS|FAIL)  \S.*: \S")


def doctor(
    tmp_path: Path,
    broker: MosquittoBroker,
    extra: str = "",
    observability: str = "port = 0",
    state: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """The doctor on a kiosk whose camera (a scene), broker, disk and clock pass, plus `extra`."""
    scene = tmp_path / "scene.toml"
    scene.write_text("fps = 5\nduration_s = 2.0\n")
    config = tmp_path / "branchdoor.toml"
    config.write_text(
        f'[branch]\nid = "0427"\n[camera]\ntype = "scene"\nscript = "{scene}"\n'
        f"[mqtt]\nport = {broker.port}\n"
        f'[storage]\nstate_dir = "{state or tmp_path / "state"}"\n'
        f"[observability]\n{observability}\n" + extra
    )
    done = subprocess.run(
        [sys.executable, "-m", "device", "doctor", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        start_new_session=True,
    )
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    assert all(LINE.match(line) for line in lines) and done.stderr == "", done.stdout + done.stderr
    return done


def line_of(done: subprocess.CompletedProcess[str], name: str) -> str:
    [line] = [line for line in done.stdout.splitlines() if line[6:].startswith(name + ":")]
    return line


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


@pytest.mark.subprocess
def test_a_state_dir_whose_parents_do_not_exist_yet_is_measured_where_they_will_be(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    """It was a FileNotFoundError traceback after the camera and broker lines."""
    done = doctor(tmp_path, broker, state=tmp_path / "not" / "yet" / "state")
    assert done.returncode == 0, done.stdout
    assert [line[:4] for line in done.stdout.splitlines()] == ["PASS"] * 5, done.stdout
    assert re.fullmatch(rf"PASS  disk: [\d,]+ MB free in {re.escape(str(tmp_path))}", line_of(done, "disk"))


@pytest.mark.subprocess
def test_the_health_port_taken_by_another_program(
    tmp_path: Path, broker: MosquittoBroker, taken_port: int
) -> None:
    done = doctor(tmp_path, broker, observability=f"port = {taken_port}")
    assert done.returncode == 1
    assert line_of(done, f"health and metrics 127.0.0.1:{taken_port}") == (
        f"FAIL  health and metrics 127.0.0.1:{taken_port}: cannot listen (Address already in use); stop "
        f"what uses it (`ss -ltnp 'sport = :{taken_port}'`) or change observability.host / observability.port"
    )


@pytest.mark.subprocess
def test_the_dashboard_port_taken_by_another_program(
    tmp_path: Path, broker: MosquittoBroker, taken_port: int
) -> None:
    done = doctor(tmp_path, broker, f"[dashboard]\nenabled = true\nport = {taken_port}\n")
    assert done.returncode == 1
    assert line_of(done, f"dashboard 127.0.0.1:{taken_port}") == (
        f"FAIL  dashboard 127.0.0.1:{taken_port}: cannot listen (Address already in use); stop what uses "
        f"it (`ss -ltnp 'sport = :{taken_port}'`) or change dashboard.host / dashboard.port"
    )


@pytest.mark.subprocess
def test_a_dashboard_address_this_machine_does_not_have(tmp_path: Path, broker: MosquittoBroker) -> None:
    # TEST-NET-1: an address no machine has.
    done = doctor(tmp_path, broker, '[dashboard]\nenabled = true\nhost = "192.0.2.1"\nport = 8080\n')
    assert done.returncode == 1
    assert line_of(done, "dashboard 192.0.2.1:8080") == (
        "FAIL  dashboard 192.0.2.1:8080: 192.0.2.1 is not an address of this machine (`ip -brief address`); "
        "change dashboard.host"
    )


@pytest.mark.subprocess
def test_free_ports_pass(tmp_path: Path, broker: MosquittoBroker) -> None:
    with socket.socket() as probe:  # a port free a moment ago; nothing here takes it meanwhile
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    done = doctor(tmp_path, broker, observability=f"port = {port}")
    assert done.returncode == 0, done.stdout
    assert line_of(done, f"health and metrics 127.0.0.1:{port}") == (
        f"PASS  health and metrics 127.0.0.1:{port}: free"
    )


@pytest.mark.subprocess
def test_a_scanner_port_that_does_not_exist(tmp_path: Path, broker: MosquittoBroker) -> None:
    done = doctor(tmp_path, broker, '[scanner]\nport = "/dev/ttyACM-unplugged"\n')
    assert done.returncode == 1
    assert line_of(done, "scanner (ascii_lines on /dev/ttyACM-unplugged)") == (
        "FAIL  scanner (ascii_lines on /dev/ttyACM-unplugged): no such device; check the cable and the port "
        "in the config: `ls -l /dev/serial/by-id/ /dev/ttyUSB* /dev/ttyACM*`"
    )


@pytest.mark.subprocess
def test_a_scanner_port_that_opens(tmp_path: Path, broker: MosquittoBroker) -> None:
    controller, device = os.openpty()  # a real serial line, as the scanner emulator uses
    try:
        port = os.ttyname(device)
        done = doctor(tmp_path, broker, f'[scanner]\nport = "{port}"\n')
    finally:
        os.close(device)
        os.close(controller)
    assert done.returncode == 0, done.stdout
    assert line_of(done, f"scanner (ascii_lines on {port})") == (
        f"PASS  scanner (ascii_lines on {port}): the port opens; scan a check-in token at the kiosk to see "
        "codes arrive"
    )


@pytest.mark.subprocess
def test_a_sensor_port_that_does_not_exist(tmp_path: Path, broker: MosquittoBroker) -> None:
    sensor = (
        '[[sensors]]\nid = "radar"\ntype = "ld2450"\nport = "/dev/ttyUSB-unplugged"\n'
        "[floor]\nwidth_m = 6.0\ndepth_m = 6.0\n[floor.placements.radar]\nx_m = 3.0\ny_m = 0.0\n"
    )
    done = doctor(tmp_path, broker, sensor)
    assert done.returncode == 1
    assert line_of(done, "sensor radar (ld2450 on /dev/ttyUSB-unplugged)") == (
        "FAIL  sensor radar (ld2450 on /dev/ttyUSB-unplugged): no such device; check the cable and the port "
        "in the config: `ls -l /dev/serial/by-id/ /dev/ttyUSB* /dev/ttyACM*`"
    )


@pytest.mark.subprocess
def test_a_sensor_port_that_is_not_a_serial_port_fails_at_once_saying_so(
    tmp_path: Path, broker: MosquittoBroker
) -> None:
    """A typo naming a log file, say: the answer is what is wrong with it, not advice about TX/RX wiring."""
    port = tmp_path / "ttyUSB0"
    port.write_text("")
    sensor = (
        f'[[sensors]]\nid = "radar"\ntype = "ld2450"\nport = "{port}"\n'
        "[floor]\nwidth_m = 6.0\ndepth_m = 6.0\n[floor.placements.radar]\nx_m = 3.0\ny_m = 0.0\n"
    )
    done = doctor(tmp_path, broker, sensor)
    assert done.returncode == 1
    assert line_of(done, f"sensor radar (ld2450 on {port})") == (
        f"FAIL  sensor radar (ld2450 on {port}): not a serial port (not a character device): {port}"
    )


@pytest.mark.subprocess
def test_a_video_file_that_does_not_exist(tmp_path: Path, broker: MosquittoBroker) -> None:
    config = tmp_path / "branchdoor.toml"
    video = tmp_path / "door.mp4"
    config.write_text(
        f'[branch]\nid = "0427"\n[camera]\ntype = "opencv"\nsource = "{video}"\n'
        f'[mqtt]\nport = {broker.port}\n[storage]\nstate_dir = "{tmp_path / "state"}"\n'
        "[observability]\nenabled = false\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "device", "doctor", "--config", str(config)],
        cwd=REPO, capture_output=True, text=True, timeout=180, start_new_session=True,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == f"FAIL  camera {video}: no such file: {video}; check camera.source"


def test_a_check_that_fails_unforeseen_is_one_fail_line_naming_it_and_the_rest_still_run() -> None:
    config = parse_config('[branch]\nid = "0427"\n', Path("kiosk.toml"))

    def broken() -> Check:
        raise PermissionError(13, "Permission denied", "/var/lib/branchdoor")

    checks = list(
        run_checks(
            config, [("disk", broken), ("clock", lambda: Check("clock", True, "2026-12-01 09:00 UTC"))]
        )
    )
    assert [check.line() for check in checks] == [
        "FAIL  disk: the check failed: PermissionError: [Errno 13] Permission denied: '/var/lib/branchdoor'",
        "PASS  clock: 2026-12-01 09:00 UTC",
    ]
