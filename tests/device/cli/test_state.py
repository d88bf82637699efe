"""`branchdoor state check|restore|start-empty`, and every command that opens the store, on damaged state:
real files, the command line as a real subprocess, one line and no traceback on refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from device.runtime.instance_lock import InstanceLock
from device.state.backups import Backups
from tests.device.state.kiosk_files import (
    NAME,
    branchdoor,
    fill,
    garble_header,
    garble_middle_page,
    held,
    kiosk_config,
)

pytestmark = pytest.mark.subprocess  # every test here runs a command or the daemon


def test_check_prints_counts_and_backups_and_no_personal_data(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path)
    database = tmp_path / "state" / "branchdoor.db"
    fill(database, tmp_path, customers=4)
    backup = Backups(database).make(keep=3).path

    checked = branchdoor("state", "check", "--config", str(config))

    assert checked.returncode == 0, checked.stderr
    assert f"database {database}: sound" in checked.stdout
    assert "customers 4" in checked.stdout and "encodings 12" in checked.stdout
    assert backup.name in checked.stdout and "sound" in checked.stdout.splitlines()[-1]
    assert NAME not in checked.stdout and "C0" not in checked.stdout


def test_a_damaged_database_is_restored_from_its_backup_by_the_command(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path)
    database = tmp_path / "state" / "branchdoor.db"
    fill(database, tmp_path, customers=40)
    expected = held(database, tmp_path)
    Backups(database).make(keep=3)
    garble_middle_page(database)

    checked = branchdoor("state", "check", "--config", str(config))
    assert checked.returncode == 1 and "damaged" in checked.stdout and "state restore" in checked.stdout

    restored = branchdoor("state", "restore", "--config", str(config))

    assert restored.returncode == 0, restored.stderr
    assert f"restored {database} from" in restored.stdout and "customers 40" in restored.stdout
    assert held(database, tmp_path) == expected
    assert len(list(database.parent.glob("branchdoor.db.aside-*"))) == 1
    assert branchdoor("state", "check", "--config", str(config)).returncode == 0


def test_restore_refuses_while_the_daemon_holds_the_state_and_changes_nothing(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path)
    database = tmp_path / "state" / "branchdoor.db"
    fill(database, tmp_path, customers=2)
    Backups(database).make(keep=3)
    garble_header(database)
    with InstanceLock(database.parent, "branchdoor run"):
        before = sorted(p.name for p in database.parent.iterdir())
        refused = branchdoor("state", "restore", "--config", str(config))

    assert (
        refused.returncode == 1 and "branchdoor run" in refused.stderr and "stop it first" in refused.stderr
    )
    assert len(refused.stderr.splitlines()) == 1
    assert sorted(p.name for p in database.parent.iterdir()) == before


def test_start_empty_lets_a_kiosk_with_a_lost_database_start_deliberately(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path)
    database = tmp_path / "state" / "branchdoor.db"
    fill(database, tmp_path, customers=2)
    database.write_bytes(b"")

    started = branchdoor("state", "start-empty", "--config", str(config))

    assert started.returncode == 0, started.stderr
    assert branchdoor("state", "check", "--config", str(config)).returncode == 0
    assert held(database, tmp_path)["customers"] == 0


COMMANDS = {
    "enroll": ["enroll", "--customer", "C9", "--name", "N", "--consent-version", "v1", "photo.jpg"],
    "forget": ["forget", "C1"],
    "keys rotate": ["keys", "rotate"],
    "token issue": ["token", "issue", "--customer", "C9", "--name", "N", "--consent-version", "v1"],
    "report": ["report", "--month", "2026-11", "--out", "report.html"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_that_opens_the_store_refuses_a_damaged_one_in_one_line(
    tmp_path: Path, command: str
) -> None:
    config = kiosk_config(tmp_path)
    database = tmp_path / "state" / "branchdoor.db"
    fill(database, tmp_path, customers=2)
    garble_header(database)
    before = database.read_bytes()

    refused = branchdoor(*COMMANDS[command], "--config", str(config))

    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    [line] = refused.stderr.splitlines()
    assert str(database) in line and "damaged" in line and "start-empty" in line
    assert database.read_bytes() == before


def test_forget_says_so_and_exits_1_when_an_older_copy_cannot_be_erased(tmp_path: Path) -> None:
    config = kiosk_config(tmp_path)
    database = tmp_path / "state" / "branchdoor.db"
    fill(database, tmp_path, customers=2)
    Backups(database).make(keep=3)
    stuck = database.parent / "backups" / "branchdoor-000000-20260101T000000Z.db"
    stuck.mkdir()

    forgot = branchdoor("forget", "C1", "--config", str(config))

    assert forgot.returncode == 1 and forgot.stdout.startswith("forgot C1")
    [line] = forgot.stderr.splitlines()
    assert str(stuck) in line and "by hand" in line
