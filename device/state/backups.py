"""Recent, verified copies of the database, in `<state_dir>/backups/`, for `branchdoor state restore`.

A copy is made with SQLite's online backup API on a connection of its own, in one step: one
consistent snapshot, read while the store's writers go on (WAL), without ever taking the store's
lock, so the recognition thread does not wait for it (a 10,000-customer store, 22 MB, copies in about
0.1 s; `bench/backup.py` measures it). It is written under a temporary name, switched to a single
self-contained file (no -wal beside it), checked with `PRAGMA quick_check`, made durable, and only
then renamed into place (mode 0600, like the database). Templates stay sealed in it: it is the same
pages.

Privacy: after anything that erases a customer (a forget, a withdrawal at the kiosk, a central
deletion, a gallery wipe) or retires the template key, `after_change` makes one fresh copy and
overwrites every older one (and every file a restore set aside) with zeros before removing it: a
forgotten customer never outlives the moment of forgetting in a backup. The copies left are then
the fresh one alone until the schedule adds more.

Copies are numbered, not ordered by clock (a kiosk's clock may jump back hours), and one writer at a
time makes or removes them: a lock on the folder, so a `branchdoor forget` in another process and
the daemon's schedule never interleave.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from device.state.check import CORE_TABLES, connect, quick_check, tables_of
from device.state.files import (
    ASIDE_MARK,
    erase,
    fsync_dir,
    fsync_file,
    give_to_owner_of,
    utc_stamp,
)

FOLDER = "backups"


class BackupError(Exception):
    """A copy could not be made or an old one removed; one line."""


@dataclass(frozen=True, slots=True)
class Copy:
    path: Path
    seconds: float
    size_bytes: int


def copy_database(source: Path, target: Path, read_only: bool = False) -> None:
    """`source`, as one consistent snapshot, into `target` (an existing empty file), as a single
    self-contained database file."""
    reader = connect(source, read_only)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer)  # pages=-1: one step, one snapshot; a stepped copy restarts on every write
        writer.execute("PRAGMA journal_mode=DELETE")  # the source's WAL flag came with page 1
    finally:
        writer.close()
        reader.close()


def verify(path: Path) -> str | None:
    """None when `path` is a sound branchdoor database, else what is wrong with it, in a few words."""
    try:
        said = quick_check(path, read_only=True)
        if said != ["ok"]:
            return f"quick_check: {'; '.join(said[:3])}"
        missing = CORE_TABLES - tables_of(path)
    except sqlite3.Error as exc:
        return str(exc)
    return f"not a branchdoor database (no {', '.join(sorted(missing))} table)" if missing else None


class Backups:
    def __init__(self, database: Path) -> None:
        self.database = database
        self.folder = database.parent / FOLDER
        self._name = re.compile(rf"^{re.escape(database.stem)}-(\d+)-\d{{8}}T\d{{6}}Z\.db$")
        self.last_error: str | None = None  # the last failure of a copy, until one succeeds

    def copies(self) -> list[Path]:
        """Newest first."""
        if not self.folder.is_dir():
            return []
        numbered = [(int(m.group(1)), p) for p in self.folder.iterdir() if (m := self._name.match(p.name))]
        return [path for _, path in sorted(numbered, reverse=True)]

    def newest(self) -> Path | None:
        copies = self.copies()
        return copies[0] if copies else None

    def set_aside_files(self) -> list[Path]:
        """The database files `branchdoor state restore` / `start-empty` moved aside."""
        return sorted(self.database.parent.glob(f"{self.database.name}*{ASIDE_MARK}*"))

    def make(self, keep: int) -> Copy:
        """A new copy; the `keep` newest copies stay, older ones are erased."""
        try:
            self._create_folder()
            with self._exclusive():
                copy = self._copy()
                for old in self.copies()[keep:] + self._partials():
                    erase(old)
        except (OSError, sqlite3.Error, BackupError) as exc:
            self.last_error = f"backup of {self.database} into {self.folder} failed: {exc}"
            raise BackupError(self.last_error) from None
        self.last_error = None
        return copy

    def after_change(self) -> Copy | None:
        """After an erasure or a key rotation: one fresh copy replaces every older one, which may hold
        the customer just forgotten (or templates under the retired key); files a restore set aside
        are erased too. None when no copy was held, so none was made."""
        problems: list[str] = []
        for aside in self.set_aside_files():
            try:
                erase(aside)
            except OSError as exc:
                problems.append(f"{aside}: {exc.strerror or exc}")
        fresh: Copy | None = None
        if self.folder.is_dir():  # a copy under way made the folder before it took its snapshot
            try:
                with self._exclusive():
                    stale = self.copies() + self._partials()
                    if stale:
                        try:
                            fresh = self._copy()
                        except (OSError, sqlite3.Error, BackupError) as exc:
                            problems.append(f"no fresh copy: {exc}")
                    for path in stale:  # whether or not the fresh copy could be made: privacy first
                        try:
                            erase(path)
                        except OSError as exc:
                            problems.append(f"{path}: {exc.strerror or exc}")
            except OSError as exc:  # the folder itself: it can no longer be read or locked
                problems.append(f"{self.folder}: {exc.strerror or exc}")
        if problems:
            self.last_error = (
                "backup copies older than a deletion or key change may remain: "
                + "; ".join(problems)
                + " (remove by hand what could not be erased)"
            )
            raise BackupError(self.last_error)
        return fresh

    def _create_folder(self) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(mode=0o700, exist_ok=True)
            give_to_owner_of(self.folder, self.database.parent)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when closed
            yield
        finally:
            os.close(fd)

    def _partials(self) -> list[Path]:
        """Copies a crash interrupted: they hold customers too."""
        return list(self.folder.glob(".*.partial"))

    def _copy(self) -> Copy:
        started = time.monotonic()
        newest = self.newest()
        number = 1 + (int(m.group(1)) if newest and (m := self._name.match(newest.name)) else 0)
        final = self.folder / f"{self.database.stem}-{number:06d}-{utc_stamp()}.db"
        partial = self.folder / f".{final.name}.partial"
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            copy_database(self.database, partial)
            problem = verify(partial)
            if problem is not None:
                raise BackupError(f"the copy failed its check ({problem})")
            fsync_file(partial)
            give_to_owner_of(partial, self.database.parent)
            partial.replace(final)
            fsync_dir(self.folder)
        except BaseException:
            erase(partial)
            raise
        return Copy(final, time.monotonic() - started, final.stat().st_size)
