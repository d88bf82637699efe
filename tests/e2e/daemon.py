"""Running `branchdoor run` as a real subprocess, the way systemd would, for end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.waiting import PATIENCE_S

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "branchdoor.service"


def stop_limit_s() -> float:
    """systemd's TimeoutStopSec for the daemon: past it, systemd kills it; the tests hold it to that."""
    found = re.search(r"^TimeoutStopSec=(\d+)$", UNIT.read_text(), re.MULTILINE)
    assert found is not None, f"{UNIT} has no TimeoutStopSec"
    return float(found.group(1))


class NotifyListener:
    """Plays systemd's side of sd_notify: a datagram socket that records every message."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.messages: list[str] = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.messages.append(self._sock.recv(4096).decode())
            except TimeoutError:
                continue

    def saw(self, line: str) -> bool:
        return any(line in message.split("\n") for message in list(self.messages))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


class Daemon:
    def __init__(self, config: Path, env: dict[str, str] | None = None, prefix: Sequence[str] = ()) -> None:
        """`prefix` wraps the command, e.g. ["faketime", "-f", "-6h"] for a kiosk whose clock is off."""
        self.lines: list[dict[str, Any]] = []
        self.process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "device", "run", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            # Its own process group: a wrapper such as faketime runs the daemon as its child, and
            # signals and kills must reach both.
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            try:
                self.lines.append(json.loads(raw))
            except json.JSONDecodeError:
                self.lines.append({"level": "raw", "msg": raw.decode(errors="replace").rstrip()})

    def logged(self, fragment: str) -> int:
        return sum(fragment in line.get("msg", "") for line in list(self.lines))

    def wait_logged(self, fragment: str, timeout_s: float, count: int = 1) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.logged(fragment) >= count:
                return True
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        return self.logged(fragment) >= count

    def terminate(self, timeout_s: float = PATIENCE_S) -> tuple[int, float]:
        """SIGTERM, then how long it took to exit and with what code."""
        started = time.monotonic()
        os.killpg(self.process.pid, signal.SIGTERM)
        code = self.process.wait(timeout_s)
        return code, time.monotonic() - started

    def kill(self) -> None:
        """The whole process group, whether or not its leader has already exited."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(PATIENCE_S)
        self._reader.join(PATIENCE_S)

    def log_text(self) -> str:
        return "\n".join(str(line.get("msg")) for line in self.lines)
