"""Writes the database refused wait, in order, and are retried with backoff until they are made."""

from __future__ import annotations

import sqlite3
from functools import partial

from common.backoff import Backoff
from common.faults import Faults
from device.checkin.backlog import Backlog

FULL = sqlite3.OperationalError("database or disk is full")


class Disk:
    """What the writes go to: refuses every write while full."""

    def __init__(self) -> None:
        self.full = False
        self.written: list[str] = []

    def write(self, what: str) -> str:
        if self.full:
            raise FULL
        self.written.append(what)
        return what


def backlog(faults: Faults, now: list[float]) -> Backlog[str]:
    return Backlog(faults, "recognition", "record check-ins", Backoff(1.0, 1.0), clock=lambda: now[0])


def test_refused_writes_wait_in_order_and_land_after_the_backoff() -> None:
    faults, now, disk = Faults(), [0.0], Disk()
    waiting = backlog(faults, now)
    disk.full = True
    assert waiting.write(partial(disk.write, "v1")) == []
    assert waiting.write(partial(disk.write, "v2")) == []
    assert len(waiting) == 2 and [str(f) for f in faults.current()] == [
        "recognition: cannot record check-ins (database or disk is full)"
    ]
    disk.full = False
    assert waiting.retry() == []  # the backoff is not over: nothing is tried yet
    now[0] = 1.0
    assert waiting.retry() == ["v1", "v2"]
    assert len(waiting) == 0 and faults.current() == [] and disk.written == ["v1", "v2"]


def test_a_new_write_takes_the_waiting_ones_along_when_the_cause_is_gone() -> None:
    faults, now, disk = Faults(), [0.0], Disk()
    waiting = backlog(faults, now)
    disk.full = True
    waiting.write(partial(disk.write, "v1"))
    disk.full = False
    assert waiting.write(partial(disk.write, "v2")) == ["v1", "v2"]


def test_one_write_that_always_fails_does_not_hold_up_the_others() -> None:
    faults, now, disk = Faults(), [0.0], Disk()
    waiting = backlog(faults, now)

    def broken() -> str:
        raise sqlite3.DatabaseError("database disk image is malformed")

    waiting.write(broken)
    assert waiting.write(partial(disk.write, "v2")) == ["v2"]
    assert len(waiting) == 1 and faults.failing("recognition", "record check-ins")


def test_past_its_limit_the_oldest_goes_and_is_counted() -> None:
    faults, now, disk = Faults(), [0.0], Disk()
    waiting = Backlog[str](faults, "recognition", "record check-ins", clock=lambda: now[0], limit=2)
    disk.full = True
    for visit in ("v1", "v2", "v3"):
        waiting.write(partial(disk.write, visit))
    disk.full = False
    assert waiting.retry(force=True) == ["v2", "v3"] and waiting.lost == 1


def test_a_slow_refusal_is_not_waited_out_once_for_each_write_waiting() -> None:
    faults, now = Faults(), [0.0]
    waiting = backlog(faults, now)
    tried: list[str] = []

    def locked(visit: str) -> str:
        tried.append(visit)
        now[0] += 5.0  # "database is locked", after the connection's 5 s timeout
        raise sqlite3.OperationalError("database is locked")

    for visit in ("v1", "v2", "v3"):
        waiting.write(partial(locked, visit))
    # Each write tried the ones before it only until one refusal had taken its time.
    assert tried == ["v1", "v1", "v1"] and len(waiting) == 3
