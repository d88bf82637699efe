"""`make install` and `make uninstall`, laid out under DESTDIR (the system itself is never touched)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.subprocess, pytest.mark.slow]


def make(target: str, destdir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target, f"DESTDIR={destdir}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "DESTDIR": str(destdir), **env},
    )


@pytest.mark.timeout(600)
def test_install_lays_out_a_kiosk_and_keeps_its_config_on_update(tmp_path: Path) -> None:
    root = tmp_path / "root"
    done = make("install", root)
    assert done.returncode == 0, done.stdout + done.stderr
    branchdoor = root / "opt/branchdoor/venv/bin/branchdoor"
    config = root / "etc/branchdoor/branchdoor.toml"
    secret = root / "etc/branchdoor/device-secret"
    assert (root / "etc/systemd/system/branchdoor.service").is_file()
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    key = root / "etc/branchdoor/template-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text().strip()) == 64
    first_key = key.read_bytes()
    check = subprocess.run([str(branchdoor), "config", "check", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr  # the installed program accepts the installed config

    # A kiosk carries what a kiosk runs: not the demo's or the reference central service's extras.
    python = root / "opt/branchdoor/venv/bin/python"
    absent = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util as u; print([m for m in ('fastapi', 'uvicorn', 'skimage',"
            " 'pytest') if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
    )
    assert absent.stdout.strip() == "[]", absent.stdout + absent.stderr
    sim = subprocess.run([str(branchdoor), "central-sim", "--help"], capture_output=True, text=True)
    assert (
        sim.returncode == 1 and "a kiosk install leaves out" in sim.stderr and "Traceback" not in sim.stderr
    )

    config.write_text('[branch]\nid = "0427"\n')  # the field engineer's edit
    again = make("install", root)
    assert again.returncode == 0 and "kept the existing" in again.stdout
    assert key.read_bytes() == first_key  # an update never replaces the key: the templates stay readable
    assert config.read_text() == '[branch]\nid = "0427"\n'

    gone = make("uninstall", root)
    assert gone.returncode == 0
    assert (
        not (root / "opt/branchdoor").exists()
        and not (root / "etc/systemd/system/branchdoor.service").exists()
    )
    assert config.exists() and secret.exists()  # data and secrets stay unless PURGE=1
    purged = make("uninstall", root, PURGE="1")
    assert purged.returncode == 0 and not (root / "etc/branchdoor").exists()
