"""`branchdoor state restore` and `branchdoor state start-empty`: a verified copy, or a new empty
database, in place of a damaged, emptied or missing one. Run with the daemon stopped (the command
holds the instance lock).

The file replaced is moved aside (`branchdoor.db.aside-<UTC time>`), never deleted, with its -wal
(which may hold its last commits) and any rollback journal: left in place, SQLite would replay them
into the restored file. The -shm is only the -wal's index and is removed. Set-aside files hold
customers, so the next erasure of a customer erases them too (device/state/backups.py).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from device.state.backups import Backups, copy_database, verify
from device.state.check import examine
from device.state.files import (
    StateError,
    erase,
    fsync_dir,
    fsync_file,
    give_to_owner_of,
    set_aside,
    utc_stamp,
)

# Beside the database, holding data of their own: they go aside with it.
CONTENT_SUFFIXES = ("", "-wal", "-journal")
INDEX_SUFFIX = "-shm"


@dataclass(frozen=True, slots=True)
class Replaced:
    source: Path | None  # the copy restored; None for a new empty database
    set_aside: list[Path]
    skipped: list[tuple[Path, str]]  # newer copies that failed their check, and why


def restore(database: Path, source: Path | None = None) -> Replaced:
    """The newest copy that passes its check (or `source`), in place of `database`."""
    backups = Backups(database)
    candidates = [source] if source is not None else backups.copies()
    if not candidates:
        raise StateError(
            f"no backup of {database} in {backups.folder}: nothing to restore; to start with an empty "
            "database instead: `branchdoor state start-empty`"
        )
    skipped: list[tuple[Path, str]] = []
    for candidate in candidates:
        problem = verify(candidate) if candidate.is_file() else "no such file"
        if problem is None:
            break
        skipped.append((candidate, problem))
    else:
        found = "; ".join(f"{path}: {problem}" for path, problem in skipped)
        raise StateError(f"no usable backup, nothing was changed: {found}")
    if database.exists() and candidate.samefile(database):
        raise StateError(f"{candidate} is the database itself: name a backup copy")
    moved = _replace(database, lambda target: copy_database(candidate, target, read_only=True))
    return Replaced(candidate, moved, skipped)


def start_empty(database: Path) -> Replaced:
    """A new, empty database in place of a damaged, emptied or missing one; a sound one is refused."""
    verdict = examine(database)
    if verdict.healthy:
        raise StateError(
            f"database {database} is sound: nothing was changed (start-empty replaces only a damaged, "
            "empty or missing database; `branchdoor state restore` puts a backup over a sound one)"
        )
    return Replaced(None, _replace(database, _new_database), [])


def _new_database(target: Path) -> None:
    db = sqlite3.connect(target)
    try:
        db.execute("PRAGMA journal_mode=WAL")  # writes the header: a database, not a 0-byte file
    finally:
        db.close()


def _replace(database: Path, fill: Callable[[Path], None]) -> list[Path]:
    """Fill a new file, then set the old one aside and rename the new one into its place."""
    partial = database.with_name(f".{database.name}.partial")
    erase(partial)  # the remains of an interrupted restore
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        fill(partial)
        fsync_file(partial)
        give_to_owner_of(partial, database.parent)
        stamp = utc_stamp()
        moved = [
            aside for suffix in CONTENT_SUFFIXES if (aside := set_aside(_beside(database, suffix), stamp))
        ]
        _beside(database, INDEX_SUFFIX).unlink(missing_ok=True)
        partial.replace(database)
        fsync_dir(database.parent)
    except BaseException:
        erase(partial)
        raise
    return moved


def _beside(database: Path, suffix: str) -> Path:
    return database.with_name(database.name + suffix)
