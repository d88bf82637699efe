"""`branchdoor run` on state it must not use: one line on stderr naming the file and what to do, exit 1,
no traceback, and the file left as it was found."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from device.state.backups import Backups
from tests.device.state.kiosk_files import branchdoor, fill, garble_header, garble_middle_page, kiosk_config

pytestmark = pytest.mark.subprocess  # every test here runs a command or the daemon


def garbled_header(state: Path) -> Path:
    garble_header(state / "branchdoor.db")
    return state / "branchdoor.db"


def garbled_page(state: Path) -> Path:
    garble_middle_page(state / "branchdoor.db")
    return state / "branchdoor.db"


def emptied_beside_a_backup(state: Path) -> Path:
    Backups(state / "branchdoor.db").make(keep=3)
    (state / "branchdoor.db").write_bytes(b"")
    return state / "branchdoor.db"


def lock_path_a_directory(state: Path) -> Path:
    (state / "daemon.lock").mkdir()
    return state / "daemon.lock"


def state_dir_a_file(state: Path) -> Path:
    for path in state.iterdir():
        path.unlink()
    state.rmdir()
    state.write_text("not a directory")
    return state


DAMAGE: dict[str, Callable[[Path], Path]] = {
    "garbled header": garbled_header,
    "garbled page in the middle": garbled_page,
    "0-byte database beside a backup": emptied_beside_a_backup,
    "lock path is a directory": lock_path_a_directory,
    "state directory is a file": state_dir_a_file,
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_the_daemon_refuses_damaged_state_in_one_line_naming_the_file(tmp_path: Path, damage: str) -> None:
    state = tmp_path / "state"
    fill(state / "branchdoor.db", tmp_path, customers=40)  # 40 x 3 sealed templates: a few dozen pages
    named = DAMAGE[damage](state)
    before = named.read_bytes() if named.is_file() else None

    started = branchdoor("run", "--config", str(kiosk_config(tmp_path)))

    assert started.returncode == 1, started.stderr
    assert "Traceback" not in started.stderr
    lines = started.stderr.splitlines()
    assert len(lines) == 1, started.stderr
    assert lines[0].startswith("branchdoor: refusing to start: ") and str(named) in lines[0]
    if before is not None:
        assert named.read_bytes() == before, "the damaged file was changed"


def test_a_database_emptied_beside_a_backup_names_both_files_and_both_ways_forward(tmp_path: Path) -> None:
    state = tmp_path / "state"
    fill(state / "branchdoor.db", tmp_path)
    emptied_beside_a_backup(state)
    backup = Backups(state / "branchdoor.db").newest()
    assert backup is not None

    line = branchdoor("run", "--config", str(kiosk_config(tmp_path))).stderr.strip()

    assert "0 bytes" in line and str(state / "branchdoor.db") in line and str(backup) in line
    assert "`branchdoor state restore`" in line and "`branchdoor state start-empty`" in line
