"""`python -m sync.central_sim` serves the contract on loopback, signed with the secret file's secret."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sync.central_sim.__main__ import main
from tests.conftest import REPO
from tests.sync.helpers import Device


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_sim_runs_as_a_command(tmp_path: Path) -> None:
    secret = tmp_path / "device-secret"
    secret.write_bytes(b"c" * 40)
    secret.chmod(0o600)
    port = free_port()
    command = [sys.executable, "-m", "sync.central_sim", "--db", str(tmp_path / "c.db"), "--port", str(port)]
    server = subprocess.Popen([*command, "--device-secret-file", str(secret)], cwd=REPO)
    try:
        device = Device(f"http://127.0.0.1:{port}", "door-7", b"c" * 40)
        deadline = time.monotonic() + 15
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


def readme_command() -> list[str]:
    """The command line the README gives for serving the sim by hand, word for word: in inline code
    (which may wrap) or on a line of a shell block."""
    readme = (REPO / "README.md").read_text()
    found = re.findall(r"`(branchdoor central-sim [^`]+)`", readme)
    found += re.findall(r"^(branchdoor central-sim .+)$", readme, re.M)
    [command] = [str(line) for line in found if "--db" in line]
    return command.split()


def test_the_readme_command_runs_as_written(tmp_path: Path) -> None:
    words = readme_command()
    assert words[:2] == ["branchdoor", "central-sim"], words
    # Only the port changes (8470 may be taken by another run); each secret file is the README's
    # relative name, created here with the mode the sim insists on.
    port = free_port()
    words[words.index("--port") + 1] = str(port)
    for option in [word for word in words if word.endswith("-secret-file")]:
        secret = tmp_path / words[words.index(option) + 1]
        secret.write_bytes(b"c" * 40)
        secret.chmod(0o600)
    server = subprocess.Popen(
        [sys.executable, "-m", "device", *words[1:]],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: killed with everything it started
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/devices/door-7/gallery", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[1].decode()
                assert time.monotonic() < deadline, "the sim did not answer on its port"
                time.sleep(0.1)
        assert answer.status_code == 401  # unsigned: the contract's answer, from the sim itself
        assert (tmp_path / words[words.index("--db") + 1]).is_file()  # its state, in the named file
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.communicate(timeout=10)
