"""The daemon's backup thread: when the first copy comes, and a failing copy never ends the thread."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from device.runtime.backup_schedule import FIRST_DELAY_S, BackupSchedule
from device.state.backups import Backups
from device.state.store import Store
from tests.keys import CIPHER


def test_the_first_copy_comes_soon_unless_a_recent_one_exists(tmp_path: Path) -> None:
    Store(tmp_path / "branchdoor.db", CIPHER).close()
    backups = Backups(tmp_path / "branchdoor.db")
    schedule = BackupSchedule(backups, interval_s=3600, keep=3)
    now = time.time()
    assert schedule.first_wait_s(now) == FIRST_DELAY_S  # none yet
    copy = backups.make(keep=3).path
    os.utime(copy, (now - 600, now - 600))
    assert schedule.first_wait_s(now) == 3000  # the rest of the interval
    os.utime(copy, (now + 7200, now + 7200))  # dated in the future: the clock went back
    assert schedule.first_wait_s(now) == FIRST_DELAY_S


def test_a_copy_that_fails_is_reported_and_the_next_one_succeeds(tmp_path: Path) -> None:
    database = tmp_path / "branchdoor.db"
    backups = Backups(database)
    schedule = BackupSchedule(backups, interval_s=3600, keep=3)
    assert schedule.copy_once() is False  # no database yet
    assert backups.last_error is not None and str(database) in backups.last_error
    Store(database, CIPHER).close()
    assert schedule.copy_once() is True
    assert backups.last_error is None and len(backups.copies()) == 1


@pytest.mark.slow  # waits out the first copy's delay
def test_the_thread_makes_its_first_copy_and_stops_when_told(tmp_path: Path) -> None:
    Store(tmp_path / "branchdoor.db", CIPHER).close()
    backups = Backups(tmp_path / "branchdoor.db")
    schedule = BackupSchedule(backups, interval_s=3600, keep=3)
    schedule.start()
    try:
        deadline = time.monotonic() + FIRST_DELAY_S + 60
        while not backups.copies() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(backups.copies()) == 1
    finally:
        schedule.stop()
