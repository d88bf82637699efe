"""`branchdoor central-sim` serves the contract on loopback, each device signing with a secret of its own
derived from the master secret file; its clock is the machine's, and a test may move it a day on."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from sync.central_sim.__main__ import main
from sync.signing import STALE_TIMESTAMP, signed_headers
from tests.conftest import REPO
from tests.sync.helpers import Device
from tests.waiting import eventually

pytestmark = pytest.mark.subprocess  # every test runs the sim as a command

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


def server_time(response: httpx.Response) -> float:
    return parsedate_to_datetime(response.headers["Date"]).timestamp()


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


@pytest.mark.skipif(
    shutil.which("faketime") is None, reason="faketime is not installed (make test installs it)"
)
def test_a_request_replayed_25_hours_later_is_refused(tmp_path: Path) -> None:
    """Issue #14: a captured gallery pull, sent again a day later, brought the gallery back."""
    master = master_secret(tmp_path)
    secret = device_secret(master, "door-1")
    clock = tmp_path / "server-clock"
    clock.write_text("+0\n")
    # faketime preloads its library; with FAKETIME unset the library reads the file, on every call.
    prefix = ["faketime", "--exclude-monotonic", "-f", "+0", "env", "-u", "FAKETIME"]
    env = {"FAKETIME_TIMESTAMP_FILE": str(clock), "FAKETIME_NO_CACHE": "1"}
    target = "/v1/devices/door-1/gallery?limit=5"
    with cli_sim(tmp_path, master, prefix, env) as base:
        captured = signed_headers("door-1", secret, "GET", target, int(time.time()), b"")
        assert httpx.get(base + target, headers=captured).status_code == 200
        clock.write_text("+25h\n")
        assert eventually(lambda: server_time(httpx.get(f"{base}/admin/faults")) > time.time() + 24.9 * 3600)
        replay = httpx.get(base + target, headers=captured)
    assert replay.status_code == 401, "a day-old request was served"
    assert replay.json()["detail"].startswith(STALE_TIMESTAMP)


def test_a_secret_file_others_can_read_is_refused(tmp_path: Path) -> None:
    master = master_secret(tmp_path, mode=0o644)
    assert main(["--db", str(tmp_path / "c.db"), "--master-secret-file", str(master)]) == 2
    assert not (tmp_path / "c.db").exists()
    assert main(["--master-secret-file", str(master), "--print-device-secret", "door-1"]) == 2


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
