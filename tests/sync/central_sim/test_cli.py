"""`branchdoor central-sim` serves the contract on loopback, each device signing with a secret of its own
derived from the master secret file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from sync.central_sim.__main__ import main
from tests.conftest import REPO
from tests.sync.helpers import Device
from tests.waiting import eventually

SIM = [sys.executable, "-m", "device", "central-sim"]  # as `branchdoor central-sim`


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def master_secret(folder: Path, mode: int = 0o600) -> Path:
    path = folder / "master-secret"
    path.write_bytes(b"m" * 40)
    path.chmod(mode)
    return path


def device_secret(master: Path, device_id: str) -> bytes:
    """What an operator provisions into that device's secret file."""
    done = subprocess.run(
        [*SIM, "--master-secret-file", str(master), "--print-device-secret", device_id],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@contextmanager
def cli_sim(
    folder: Path, master: Path, prefix: Sequence[str] = (), env: dict[str, str] | None = None
) -> Iterator[str]:
    """The sim as its own process (group: a wrapper such as faketime runs it as a child); its URL."""
    port = free_port()
    serve = ["--db", str(folder / "c.db"), "--port", str(port), "--master-secret-file", str(master)]
    server = subprocess.Popen(
        [*prefix, *SIM, *serve],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        assert server.poll() is None, "the sim exited"
        try:
            return httpx.get(f"{base}/admin/faults").status_code == 200
        except httpx.ConnectError:
            return False

    try:
        assert eventually(answering, 60), "the sim did not start"
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


def test_the_sim_runs_as_a_command_and_each_device_signs_with_its_own_secret(tmp_path: Path) -> None:
    master = master_secret(tmp_path)
    door_1, door_3 = device_secret(master, "door-1"), device_secret(master, "door-3")
    assert len(door_1) == 64 and door_1 != door_3 and b"m" * 32 not in door_1
    with cli_sim(tmp_path, master) as base:
        assert Device(base, "door-1", door_1).gallery().status_code == 200
        assert Device(base, "door-3", door_3).gallery().status_code == 200
        # door-1's secret is no good for door-3: not as door-3, nor for door-3's resources; nor is the
        # master. Each request a new one: a repeat within the second would be refused as a replay.
        as_door_3 = Device(base, "door-3", door_1).gallery(limit=3)
        assert (as_door_3.status_code, as_door_3.json().get("detail")) == (401, "bad signature")
        door_1_there = Device(base, "door-1", door_1).request("GET", "/v1/devices/door-3/gallery?limit=4")
        assert door_1_there.status_code == 401
        with_master = Device(base, "door-3", b"m" * 40).gallery(limit=5)
        assert (with_master.status_code, with_master.json().get("detail")) == (401, "bad signature")


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    master = master_secret(tmp_path, mode=0o644)
    assert main(["--db", str(tmp_path / "c.db"), "--master-secret-file", str(master)]) == 2
    assert not (tmp_path / "c.db").exists()
    assert main(["--master-secret-file", str(master), "--print-device-secret", "door-1"]) == 2
