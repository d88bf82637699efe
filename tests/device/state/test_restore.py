"""`state restore` and `state start-empty` on real files: the damaged database goes aside, never away;
its -wal goes with it rather than into the restored file; the customers and queued uploads come back."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from device.state.backups import Backups
from device.state.check import examine
from device.state.files import ASIDE_MARK, StateError
from device.state.restore import restore, start_empty
from tests.device.state.kiosk_files import fill, garble_header, garble_middle_page, held


def stale_wal(database: Path, scratch: Path) -> bytes:
    """A -wal as a crash leaves it: valid frames, written against this database as it was then."""
    scratch.mkdir()
    twin = scratch / database.name
    shutil.copy(database, twin)
    writer = sqlite3.connect(twin)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("DELETE FROM outbox")
    writer.execute("DELETE FROM customers WHERE customer_ref != 'C0'")
    writer.commit()
    wal = (scratch / f"{database.name}-wal").read_bytes()
    writer.close()
    assert len(wal) > 32
    return wal


def test_a_restore_brings_back_the_customers_and_queued_uploads_and_sets_the_damage_aside(
    tmp_path: Path,
) -> None:
    database = tmp_path / "state" / "branchdoor.db"
    fill(database, tmp_path, customers=40)
    expected = held(database, tmp_path)
    Backups(database).make(keep=3)
    wal = stale_wal(database, tmp_path / "scratch")
    garble_middle_page(database)
    damaged = database.read_bytes()
    (tmp_path / "state" / "branchdoor.db-wal").write_bytes(wal)
    (tmp_path / "state" / "branchdoor.db-shm").write_bytes(b"\0" * 32768)

    done = restore(database)

    assert done.source == Backups(database).newest() and done.skipped == []
    assert examine(database).healthy and held(database, tmp_path) == expected
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    aside = {p.name.split(ASIDE_MARK)[0]: p for p in done.set_aside}
    assert set(aside) == {"branchdoor.db", "branchdoor.db-wal"}
    assert aside["branchdoor.db"].read_bytes() == damaged  # kept whole, for whoever examines it
    assert aside["branchdoor.db-wal"].read_bytes() == wal
    assert not (tmp_path / "state" / "branchdoor.db-shm").exists()


def test_a_newest_copy_that_fails_its_check_is_skipped_for_the_one_before(tmp_path: Path) -> None:
    database = tmp_path / "branchdoor.db"
    fill(database, tmp_path, customers=2)
    good = Backups(database).make(keep=3).path
    fill(database, tmp_path, customers=5)  # more happened, then its copy rotted on the card
    bad = Backups(database).make(keep=3).path
    garble_header(bad)
    garble_header(database)

    done = restore(database)

    assert done.source == good and [path for path, _ in done.skipped] == [bad]
    assert held(database, tmp_path)["customers"] == 2


def test_a_file_that_is_no_branchdoor_database_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    database = tmp_path / "branchdoor.db"
    fill(database, tmp_path, customers=2)
    garble_header(database)
    before = database.read_bytes()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")

    with pytest.raises(StateError, match="not a branchdoor database"):
        restore(database, other)
    with pytest.raises(StateError, match="no backup of"):
        restore(database)

    assert database.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [
        "branchdoor.db",
        "other.db",
        "template-key",
    ]


def test_start_empty_replaces_only_what_cannot_be_used_and_keeps_the_backups(tmp_path: Path) -> None:
    database = tmp_path / "branchdoor.db"
    fill(database, tmp_path, customers=2)
    backup = Backups(database).make(keep=3).path
    with pytest.raises(StateError, match="is sound: nothing was changed"):
        start_empty(database)
    database.write_bytes(b"")

    done = start_empty(database)

    assert [p.stat().st_size for p in done.set_aside] == [0]
    assert examine(database).healthy and held(database, tmp_path)["customers"] == 0
    assert backup.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_run_with_sudo_the_copies_and_the_restored_file_still_belong_to_the_daemons_user(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    database = state / "branchdoor.db"
    fill(database, tmp_path, customers=2)
    os.chown(state, 65534, 65534)  # as systemd's StateDirectory= gives it to the service's user

    copy = Backups(database).make(keep=3).path
    garble_header(database)
    restore(database)

    for path in (copy.parent, copy, database):
        assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534), path
