"""`python -m sync.central_sim` serves the contract on loopback, signed with the secret file's secret."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sync.central_sim.__main__ import main
from tests.conftest import REPO
from tests.sync.helpers import Device
from tests.waiting import PATIENCE_S


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.subprocess
def test_the_sim_runs_as_a_command(tmp_path: Path) -> None:
    secret = tmp_path / "device-secret"
    secret.write_bytes(b"c" * 40)
    secret.chmod(0o600)
    port = free_port()
    command = [sys.executable, "-m", "sync.central_sim", "--db", str(tmp_path / "c.db"), "--port", str(port)]
    server = subprocess.Popen([*command, "--device-secret-file", str(secret)], cwd=REPO)
    try:
        device = Device(f"http://127.0.0.1:{port}", "door-7", b"c" * 40)
        deadline = time.monotonic() + PATIENCE_S
        while True:
            try:
                response = device.gallery()
                break
            except httpx.ConnectError:
                assert server.poll() is None and time.monotonic() < deadline, "the sim did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert Device(device.http.base_url.__str__(), "door-7", b"d" * 40).gallery().status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path, capsys: object) -> None:
    secret = tmp_path / "device-secret"
    secret.write_bytes(b"c" * 40)
    secret.chmod(0o644)
    assert main(["--db", str(tmp_path / "c.db"), "--device-secret-file", str(secret)]) == 2
    assert not (tmp_path / "c.db").exists()
