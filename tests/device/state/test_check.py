"""The store's check before it opens a database: sound, missing (a new kiosk), emptied, damaged in its
header or in a page in the middle; each refusal one line, naming the file and the way forward."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from device.state.backups import Backups
from device.state.check import examine, require_usable, row_counts
from device.state.files import StateError
from device.state.store import Store
from tests.device.state.kiosk_files import (
    PAGE,
    as_another_user,
    checkpoint,
    fill,
    garble_header,
    garble_middle_page,
)
from tests.keys import CIPHER


def test_a_sound_database_passes_and_a_missing_one_without_backups_is_a_new_kiosk(tmp_path: Path) -> None:
    database = tmp_path / "state" / "branchdoor.db"
    assert examine(database).condition == "missing"
    require_usable(database, None)
    fill(database, tmp_path, customers=3)
    assert examine(database).healthy
    counts = row_counts(database)
    assert counts["customers"] == 3 and counts["encodings"] == 9 and counts["outbox"] >= 3


def test_a_garbled_header_is_refused_and_the_file_left_as_it_was(tmp_path: Path) -> None:
    database = tmp_path / "branchdoor.db"
    fill(database, tmp_path, customers=3)
    garble_header(database)
    before = database.read_bytes()

    with pytest.raises(StateError) as refused:
        Store(database, CIPHER)

    message = str(refused.value)
    assert "\n" not in message and str(database) in message and "damaged" in message
    assert "`branchdoor state start-empty`" in message
    assert database.read_bytes() == before


def test_a_page_of_junk_in_the_middle_of_the_file_is_found_at_open(tmp_path: Path) -> None:
    database = tmp_path / "branchdoor.db"
    fill(database, tmp_path, customers=40)
    Backups(database).make(keep=3)
    garble_middle_page(database)

    verdict = examine(database)
    with pytest.raises(StateError) as refused:
        Store(database, CIPHER)

    assert verdict.condition == "damaged" and verdict.detail
    assert "`branchdoor state restore`" in str(refused.value) and str(Backups(database).newest()) in str(
        refused.value
    )


@pytest.mark.parametrize("gone", ["emptied", "missing"])
def test_a_database_gone_while_a_backup_exists_is_refused_naming_both(tmp_path: Path, gone: str) -> None:
    database = tmp_path / "branchdoor.db"
    fill(database, tmp_path, customers=3)
    backup = Backups(database).make(keep=3).path
    if gone == "emptied":
        database.write_bytes(b"")
    else:
        database.unlink()

    with pytest.raises(StateError) as refused:
        Store(database, CIPHER)

    message = str(refused.value)
    assert str(database) in message and str(backup) in message
    assert "`branchdoor state restore`" in message and "`branchdoor state start-empty`" in message
    assert not database.exists() or database.stat().st_size == 0  # nothing was created in its place


def test_an_emptied_database_without_a_backup_is_refused_too(tmp_path: Path) -> None:
    """branchdoor never leaves a 0-byte database (its header is written as it is made): one is data lost."""
    database = tmp_path / "branchdoor.db"
    database.write_bytes(b"")
    with pytest.raises(StateError, match=r"0 bytes.*no backup.*start-empty"):
        Store(database, CIPHER)


def test_a_database_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "branchdoor.db").mkdir()
    with pytest.raises(StateError, match="is a directory"):
        Store(tmp_path / "branchdoor.db", CIPHER)


@pytest.mark.subprocess
def test_a_database_the_daemon_may_not_write_is_refused_naming_it(tmp_path: Path) -> None:
    # Outside pytest's own temporary folder, which only its owner may enter: the other user must reach it.
    folder = Path(tempfile.mkdtemp(prefix="branchdoor-perm-", dir="/tmp"))
    try:
        folder.chmod(0o777)
        database = folder / "branchdoor.db"
        fill(database, tmp_path, customers=1)
        database.chmod(0o600 if os.geteuid() == 0 else 0o400)  # as root, the other user is nobody
        message = as_another_user(lambda: Store(database, CIPHER))
    finally:
        shutil.rmtree(folder)
    assert str(database) in message and "permission denied" in message and "chown" in message, message
    assert "\n" not in message


def test_whatever_page_is_garbled_the_verdict_is_one_line(tmp_path: Path) -> None:
    """A refusal is one line in the journal; SQLite's own finding can span two ("*** in database main
    ***" then the page), whichever page it is."""
    pristine = tmp_path / "pristine.db"
    fill(pristine, tmp_path, customers=20)
    checkpoint(pristine)
    pages = pristine.stat().st_size // PAGE
    details = []
    for page in range(1, pages):
        database = tmp_path / f"page-{page}.db"
        shutil.copyfile(pristine, database)
        with database.open("r+b") as raw:
            raw.seek(page * PAGE)
            raw.write(bytes((i * 37 + 11) % 251 for i in range(PAGE)))
        verdict = examine(database)
        if verdict.condition == "damaged":
            details.append(verdict.detail)
    assert details, "no garbled page was found damaged"
    assert all("\n" not in detail for detail in details), [d for d in details if "\n" in d][:1]
