"""`branchdoor outbox show|requeue`: a field engineer sees what waits for the central service and puts
records it refused as malformed back in the queue.

Both may run while the daemon runs, no need to stop it: each is one SQLite transaction on the daemon's
own database (it waits for the daemon's, never interleaves with one), `requeue` touches only records
set aside, which no batch in flight holds, and the daemon takes them at its next sync. Neither prints
a customer ref or a payload: counts, ages, errors and the central service's reasons only.
"""

from __future__ import annotations

import argparse
import sys
import time

from device.cli.args import Subcommands, command, load

# The outbox's kinds (device/state/outbox.py KINDS, which a test compares): named here so that
# building the parser, which `config check` does at every start, does not load the store.
KIND_CHOICES = ("deletion_ack", "checkin", "audit", "aggregate")


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    outbox = commands.add_parser(
        "outbox", help="records waiting for the central service, and those set aside"
    )
    actions = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    command(
        actions,
        "show",
        _show,
        "per kind: queued, in flight, set aside (and why), oldest age, last error; safe while running",
        [common],
    )
    requeue = command(
        actions,
        "requeue",
        _requeue,
        "put records set aside as malformed back in the queue; safe while the daemon runs",
        [common],
    )
    requeue.add_argument("--kind", choices=KIND_CHOICES, help="only records of this kind (default: all)")


def _show(args: argparse.Namespace) -> int:
    from device.state.store import Store

    database = load(args).storage.database
    if not database.exists():
        print(f"no database at {database}: has the daemon run on this kiosk?", file=sys.stderr)
        return 1
    store = Store(database)
    try:
        reports = store.outbox.report(time.time())
    finally:
        store.close()
    print(f"{'kind':<14}{'queued':>8}{'in flight':>11}{'set aside':>11}  oldest")
    for kind in reports:
        set_aside = sum(kind.set_aside.values())
        print(
            f"{kind.kind:<14}{kind.queued:>8}{kind.in_flight:>11}{set_aside:>11}  {_age(kind.oldest_age_s)}"
        )
    for kind in reports:
        if kind.last_error is not None:
            tries = f"batch in flight refused {kind.attempts} time(s), " if kind.in_flight else ""
            print(f"\n{kind.kind}: {tries}last error: {kind.last_error}")
    if any(kind.set_aside for kind in reports):
        print(
            "\nset aside: refused by the central service as malformed, kept here, never sent again until "
            "`branchdoor outbox requeue`:"
        )
        for kind in reports:
            for reason, count in kind.set_aside.items():
                print(f"  {kind.kind:<14}{count:>6}  {reason}")
    return 0


def _requeue(args: argparse.Namespace) -> int:
    from device.state.store import Store

    database = load(args).storage.database
    if not database.exists():
        print(f"no database at {database}: has the daemon run on this kiosk?", file=sys.stderr)
        return 1
    store = Store(database)
    try:
        requeued = store.outbox.requeue(args.kind)
    finally:
        store.close()
    what = f"{args.kind} record(s)" if args.kind else "record(s)"
    if not requeued:
        print(f"no {what} set aside: nothing to requeue")
        return 0
    print(
        f"{requeued} {what} back in the queue: the daemon sends them at its next sync; one the central "
        "service still refuses as malformed is set aside again (`branchdoor outbox show`)"
    )
    return 0


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours < 48 else f"{hours // 24}d {hours % 24}h"
