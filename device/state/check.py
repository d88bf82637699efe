"""Is the database fit to open? Every opening of the store asks first (`require_usable`), so a damaged,
emptied or vanished file refuses the start in one line instead of starting empty or crashing later.

`PRAGMA quick_check` reads every page and checks the structure of each b-tree (it skips only the
index-to-table cross-check of `integrity_check`): about 20 ms for a 10,000-customer store. What it
reports names pages and tables, never row contents, so it may be printed and logged.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from device.state.files import StateError, refusal

Condition = Literal["healthy", "missing", "empty", "damaged"]
# Tables every branchdoor database has, whatever its age: how a backup is told from another SQLite file.
CORE_TABLES = frozenset({"customers", "consents", "outbox"})
BUSY_TIMEOUT_S = 5.0
GUIDE = "README: When the kiosk's database is damaged"


@dataclass(frozen=True, slots=True)
class Verdict:
    path: Path
    condition: Condition
    detail: str = ""  # SQLite's own words about the damage: page numbers and table names only

    @property
    def healthy(self) -> bool:
        return self.condition == "healthy"


def connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    """An existing file only: SQLite would otherwise create an empty database in its place."""
    mode = "ro" if read_only else "rw"
    return sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=BUSY_TIMEOUT_S)


def quick_check(path: Path, read_only: bool = False) -> list[str]:
    """SQLite's verdict, `["ok"]` when sound; a file too damaged to open raises sqlite3.DatabaseError."""
    db = connect(path, read_only)
    try:
        return [str(row[0]) for row in db.execute("PRAGMA quick_check(20)")]
    finally:
        db.close()


def examine(path: Path, read_only: bool = False) -> Verdict:
    """The database's condition; a file that cannot be read at all refuses with a `StateError`. Read-only
    is for copies (see row_counts)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return Verdict(path, "missing")
    except OSError as exc:
        raise refusal(path, exc, "database") from None
    if path.is_dir():
        raise StateError(f"database {path} is a directory: move it away; the daemon makes the file itself")
    if size == 0:
        return Verdict(path, "empty")
    wanted = os.R_OK if read_only else os.R_OK | os.W_OK
    if not os.access(path, wanted) or not os.access(path.parent, wanted | os.X_OK):
        raise refusal(path, PermissionError(13, "Permission denied"), "database")
    try:
        said = quick_check(path, read_only)
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StateError(f"database {path}: {exc} (another process holds it); try again") from None
        return Verdict(path, "damaged", str(exc))
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        return Verdict(path, "damaged", str(exc))
    if said == ["ok"]:
        return Verdict(path, "healthy")
    # One of SQLite's findings may span lines ("*** in database main ***\nPage 30: ..."): a refusal is
    # one line in the journal, so each finding is folded onto one.
    found = [" ".join(finding.split()) for finding in said]
    return Verdict(
        path, "damaged", "; ".join(found[:3]) + (f" (+{len(found) - 3} more)" if len(found) > 3 else "")
    )


def tables_of(path: Path) -> set[str]:
    db = connect(path, read_only=True)
    try:
        return {str(row[0]) for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        db.close()


def row_counts(path: Path, read_only: bool = False) -> dict[str, int]:
    """Rows per table: what a field engineer may see of the kiosk's data (counts, never contents).
    Read-only suits copies; on the live WAL database it would leave -shm/-wal files behind, owned by
    whoever ran it (root, under sudo), which the daemon could then not write."""
    db = connect(path, read_only)
    try:
        names = [
            str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {
            name: int(db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])  # noqa: S608 - names from the schema
            for name in names
            if not name.startswith("sqlite_")
        }
    finally:
        db.close()


def require_usable(path: Path, newest_backup: Path | None) -> None:
    """Refuse, in one line naming the file(s) and the way forward, a database that must not be opened:
    damaged; emptied (0 bytes: branchdoor never leaves one, so its data was lost); or missing while a
    backup says there was one. A missing database without any backup is a new kiosk: it is created."""
    verdict = examine(path)
    if verdict.healthy or (verdict.condition == "missing" and newest_backup is None):
        return
    raise StateError(refusal_line(verdict, newest_backup))


def refusal_line(verdict: Verdict, newest_backup: Path | None) -> str:
    path = verdict.path
    what = {
        "damaged": f"database {path} is damaged ({verdict.detail}); it is left in place",
        "empty": f"database {path} is empty (0 bytes): its data is lost; it is left in place",
        "missing": f"database {path} is missing",
    }[verdict.condition]
    start_empty = (
        "start with an empty database (customers come back by central sync or enrollment) with "
        "`branchdoor state start-empty`"
    )
    if newest_backup is None:
        return f"{what}, and there is no backup: {start_empty} ({GUIDE})"
    return (
        f"{what}, but the backup {newest_backup} exists: restore it with `branchdoor state restore`, "
        f"or {start_empty} ({GUIDE})"
    )
