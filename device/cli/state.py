"""`branchdoor state check|restore|start-empty`: a field engineer's tools for the kiosk's database (README,
"When the kiosk's database is damaged"). They print counts and file names, never a customer's data."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from device.cli.args import Subcommands, command, load


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    state = commands.add_parser("state", help="the kiosk's database: check it, restore a backup")
    actions = state.add_subparsers(dest="state_command", required=True, metavar="ACTION")
    command(
        actions,
        "check",
        _check,
        "check the database and its backups (row counts only, no personal data)",
        [common],
    )
    restore = command(
        actions,
        "restore",
        _restore,
        "put the newest sound backup in place of the database (stop the daemon first)",
        [common],
    )
    restore.add_argument(
        "--from", dest="source", type=Path, metavar="FILE", help="restore this copy instead of the newest one"
    )
    command(
        actions,
        "start-empty",
        _start_empty,
        "replace a damaged, empty or missing database with an empty one (stop the daemon first)",
        [common],
    )


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def _check(args: argparse.Namespace) -> int:
    from device.state.backups import Backups, verify
    from device.state.check import examine, refusal_line, row_counts

    database = load(args).storage.database
    backups = Backups(database)
    verdict = examine(database)
    if verdict.healthy:
        print(f"database {database}: sound (quick_check ok), {_mb(database.stat().st_size)}")
        counts = row_counts(database)
        print("  rows: " + ", ".join(f"{table} {count}" for table, count in counts.items()))
    else:
        print(f"database {database}: {verdict.condition}{f' ({verdict.detail})' if verdict.detail else ''}")
    copies = backups.copies()
    print(f"backups in {backups.folder}: {len(copies) or 'none'}")
    for copy in copies:
        stat = copy.stat()
        made = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(stat.st_mtime))
        problem = verify(copy)
        print(f"  {copy.name}  made {made}  {_mb(stat.st_size)}  {'sound' if problem is None else problem}")
    for aside in backups.set_aside_files():
        print(f"set aside: {aside} (erased at the next deletion of a customer)")
    if backups.last_error:
        print(backups.last_error)
    if verdict.healthy or (verdict.condition == "missing" and not copies):
        return 0
    print(refusal_line(verdict, backups.newest()))
    return 1


def _restore(args: argparse.Namespace) -> int:
    from device.runtime.instance_lock import AlreadyRunning, InstanceLock
    from device.state.check import row_counts
    from device.state.restore import restore

    database = load(args).storage.database
    try:
        with InstanceLock(database.parent, "branchdoor state restore"):
            done = restore(database, args.source)
    except AlreadyRunning as exc:
        # The daemon would go on writing to the file it has open, now set aside.
        print(f"branchdoor: not restoring: {exc}; stop it first (systemctl stop branchdoor)", file=sys.stderr)
        return 1
    for path, problem in done.skipped:
        print(f"skipped {path}: {problem}")
    for path in done.set_aside:
        print(f"set aside {path} (kept until the next deletion of a customer: it holds customers)")
    counts = row_counts(database)
    held = ", ".join(f"{table} {counts.get(table, 0)}" for table in ("customers", "encodings", "outbox"))
    print(f"restored {database} from {done.source} ({held}); start the daemon again")
    return 0


def _start_empty(args: argparse.Namespace) -> int:
    from device.runtime.instance_lock import AlreadyRunning, InstanceLock
    from device.state.restore import start_empty

    database = load(args).storage.database
    try:
        with InstanceLock(database.parent, "branchdoor state start-empty"):
            done = start_empty(database)
    except AlreadyRunning as exc:
        print(
            f"branchdoor: not starting empty: {exc}; stop it first (systemctl stop branchdoor)",
            file=sys.stderr,
        )
        return 1
    for path in done.set_aside:
        print(f"set aside {path} (kept until the next deletion of a customer: it holds customers)")
    print(f"{database} is now an empty database; start the daemon again (backups are kept)")
    return 0
