"""The systemd unit, as systemd itself judges it: no warnings, and an exposure score of at most 2.0."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

UNIT = REPO / "systemd" / "branchdoor.service"
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)


def installed_copy(tmp_path: Path) -> Path:
    """The unit with its /opt paths pointing at this checkout's branchdoor: verify checks they exist."""
    branchdoor = shutil.which("branchdoor") or str(REPO / ".venv" / "bin" / "branchdoor")
    unit = tmp_path / "branchdoor.service"
    unit.write_text(UNIT.read_text().replace("/opt/branchdoor/venv/bin/branchdoor", branchdoor))
    return unit


@pytest.mark.subprocess
def test_systemd_analyze_verify_reports_nothing(tmp_path: Path) -> None:
    assert ANALYZE is not None
    done = subprocess.run([ANALYZE, "verify", str(installed_copy(tmp_path))], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.strip() == "" and done.stdout.strip() == "", done.stderr


@pytest.mark.subprocess
def test_exposure_is_at_most_2(tmp_path: Path) -> None:
    assert ANALYZE is not None
    done = subprocess.run(
        [ANALYZE, "security", "--offline=true", "--threshold=20", str(installed_copy(tmp_path))],
        capture_output=True,
        text=True,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert match is not None, done.stdout + done.stderr
    assert float(match.group(1)) <= 2.0, done.stdout


def test_the_unit_is_notify_with_watchdog_and_a_config_check() -> None:
    text = UNIT.read_text()
    for line in (
        "Type=notify",
        "WatchdogSec=30",
        "ExecStartPre=/opt/branchdoor/venv/bin/branchdoor config check",
    ):
        assert line in text
