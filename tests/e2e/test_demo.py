"""`make demo`'s command as a new user runs it: self-contained, ends by itself, greets only the customer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_demo_greets_the_customer_and_not_the_stranger(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BRANCHDOOR_FACE_DATA"}  # the portraits path
    done = subprocess.run(
        [sys.executable, "-m", "device", "demo", "--workdir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=180, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CUE  Please greet Grace (ref CUST-1001, face, " in done.stdout  # how she checked in
    assert "greet Eileen" not in done.stdout
    summary = done.stdout.split("\nsummary\n", 1)[1]
    assert "  cues received by the teller screen: 1 (1 for Grace)\n" in summary
    assert "  cues naming the stranger: 0\n" in summary
    assert "  availability seen: online -> offline\n" in summary
    # The emulated door radar's two walkers came in through the door line, over a real pty.
    assert "  door counts from the emulated radar: in 2, out 0\n" in summary
    # Grace was enrolled at the reference central service, reached the kiosk by sync, and her
    # check-in went back up through the outbox.
    assert "  check-ins received by the central service: 1\n" in summary
    assert "  daemon exit code: 0;" in summary
    assert summary.endswith("demo OK\n") and "demo FAILED" not in done.stdout
