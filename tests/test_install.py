"""`make install` and `make uninstall`, laid out under DESTDIR (the system itself is never touched)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from common.secret_files import credential_source
from device.config import PLACEHOLDER_BRANCH_ID
from device.config_file import load_config
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


# What `make install` tells the engineer to do next, in its words.
NEXT_STEPS = (
    "Next steps:",
    "Edit /etc/branchdoor/branchdoor.toml",
    "[branch] id (it ships as CHANGE-ME",
    "[camera] source",
    "[mqtt] host, port and username",
    "device secret into /etc/branchdoor/device-secret",
    "sudo /opt/branchdoor/venv/bin/branchdoor config check /etc/branchdoor/branchdoor.toml",
    "sudo -u branchdoor /opt/branchdoor/venv/bin/branchdoor doctor --config /etc/branchdoor/branchdoor.toml",
    "sudo systemctl start branchdoor",
    "journalctl -u branchdoor -f",
)


def on_the_kiosk(
    root: Path, *command: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`command` in a mount namespace of its own whose /etc and /var/lib show what `make install` laid
    out under `root` over the machine's own (which nothing here changes): the kiosk's paths, for real."""
    upper, work = root.parent / "var-lib", root.parent / "var-lib-work"
    upper.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    script = (
        'mount -t overlay overlay -o "lowerdir=$0/etc:/etc" /etc && '
        'mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$1,workdir=$2" /var/lib && '
        'shift 2 && exec "$@"'
    )
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, root, upper, work, *command],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def check_the_installed_config(root: Path, branchdoor: Path) -> None:
    """The shipped config, installed, is where the unit looks for everything; `config check` asks only
    for what the engineer must fill in: as systemd's ExecStartPre= runs it, and as the next steps say."""
    unit = (root / "etc/systemd/system/branchdoor.service").read_text()
    credentials = dict(re.findall(r"^LoadCredential=([\w-]+):(\S+)$", unit, re.M))
    state_directory = re.search(r"^StateDirectory=(\S+)$", unit, re.M)
    config_path = re.search(r"^Environment=BRANCHDOOR_CONFIG=(\S+)$", unit, re.M)
    assert state_directory and config_path and config_path.group(1) == "/etc/branchdoor/branchdoor.toml"
    installed = root / config_path.group(1).lstrip("/")
    config = load_config(installed)
    assert config.storage.state_dir == Path("/var/lib") / state_directory.group(1)
    assert config.privacy.template_key_file == Path(credentials["template-key"])
    assert all((root / source.lstrip("/")).is_file() for source in credentials.values()), credentials
    # [central] ships commented out; its secret's path is the credential the unit hands over.
    [secret] = re.findall(r'^# device_secret_file = "(\S+)"', installed.read_text(), re.M)
    units = {"SYSTEMD_UNIT_PATH": str(root / "etc/systemd/system")}
    assert credential_source(Path(secret), units) == Path(credentials["device-secret"])

    placeholder = re.compile(
        rf'^/etc/branchdoor/branchdoor\.toml:\d+: branch\.id: "{PLACEHOLDER_BRANCH_ID}" is the shipped '
        "placeholder"
    )
    # As ExecStartPre=: the service's credentials, its state directory made by systemd, no argument.
    handed_over = root.parent / "credentials"
    handed_over.mkdir()
    shutil.copy(root / "etc/branchdoor/template-key", handed_over / "template-key")
    (handed_over / "template-key").chmod(0o400)
    (root.parent / "var-lib" / state_directory.group(1)).mkdir(mode=0o700, parents=True)
    unit_env = {"BRANCHDOOR_CONFIG": config_path.group(1), "CREDENTIALS_DIRECTORY": str(handed_over)}
    pre = on_the_kiosk(root, str(branchdoor), "config", "check", env=unit_env)
    # As the next steps say, by hand, with the unit stopped.
    by_hand = on_the_kiosk(root, str(branchdoor), "config", "check", "/etc/branchdoor/branchdoor.toml")
    for done in (pre, by_hand):
        assert done.returncode == 1 and done.stdout == "", done.stdout + done.stderr
        [line] = done.stderr.splitlines()  # the branch id, and nothing else
        assert placeholder.match(line), line

    # The branch's values in the drop-in folder the install made beside the file (the bank's template).
    (root / "etc/branchdoor/branchdoor.d/50-branch.toml").write_text('[branch]\nid = "0427"\n')
    for done in (
        on_the_kiosk(root, str(branchdoor), "config", "check", env=unit_env),
        on_the_kiosk(root, str(branchdoor), "config", "check", "/etc/branchdoor/branchdoor.toml"),
    ):
        assert done.returncode == 0 and done.stdout.startswith("/etc/branchdoor/branchdoor.toml: OK"), done
        assert "(branch 0427, " in done.stdout and "drop-ins: 50-branch.toml)" in done.stdout, done


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
    for step in NEXT_STEPS:
        assert step in done.stdout, f"make install does not say {step!r}:\n{done.stdout}"
    check_the_installed_config(root, branchdoor)

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
