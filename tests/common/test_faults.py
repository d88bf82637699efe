"""A part's fault: held from its first failure to its next success, counted, and survived by its loop."""

from __future__ import annotations

import logging
import sqlite3
import threading

import pytest

from common.backoff import Backoff
from common.faults import Faults, keep_running


def test_a_fault_is_held_from_the_first_failure_to_the_next_success(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    now = [100.0]
    faults = Faults(clock=lambda: now[0])
    full = sqlite3.OperationalError("database or disk is full")
    faults.report("recognition", "record check-ins", full)
    now[0] = 130.0
    fault = faults.report("recognition", "record check-ins", full)
    assert str(fault) == "recognition: cannot record check-ins (database or disk is full)"
    assert (fault.since, fault.count) == (100.0, 2)
    assert faults.failing("recognition", "record check-ins")
    # The first failure of a run carries its exception (and traceback), the repeats one line each.
    assert [r.exc_info is not None for r in caplog.records] == [True, False]
    faults.clear("recognition", "record check-ins")
    assert faults.current() == [] and faults.totals() == {"recognition": 2}
    assert "recognition: can record check-ins again, after 2 failure(s) over 30s" in caplog.text


def test_an_attempt_reports_a_failure_and_clears_on_success() -> None:
    faults = Faults()

    def broken() -> int:
        raise sqlite3.DatabaseError("database disk image is malformed")

    assert faults.attempt("housekeeping", "apply the retention policy", broken) is None
    assert [str(f) for f in faults.current()] == [
        "housekeeping: cannot apply the retention policy (database disk image is malformed)"
    ]
    assert faults.attempt("housekeeping", "apply the retention policy", lambda: 7) == 7
    assert faults.current() == []


def test_health_hears_the_database_and_the_system_but_only_the_type_of_anything_else() -> None:
    """Health is published: a message that may quote the data it failed on stays in the log."""
    faults = Faults()
    assert faults.report("central", "sync", OSError(28, "No space left on device")).error == (
        "[Errno 28] No space left on device"
    )
    assert faults.report("cues", "issue", KeyError("CUST-1001")).error == "KeyError, see the log"
    assert faults.report("floor", "save", sqlite3.OperationalError()).error == "OperationalError, see the log"


def test_the_loop_survives_a_failing_step_and_ends_when_the_step_says_so() -> None:
    faults, stop = Faults(), threading.Event()
    runs: list[int] = []

    def step() -> float | None:
        runs.append(len(runs))
        if len(runs) <= 3:
            raise OSError("port gone")
        if len(runs) == 4:
            assert faults.failing("scanner", "read codes")  # still held while the retry runs
            return 0.0
        return None

    keep_running(faults, "scanner", "read codes", step, stop, Backoff(0.001, 0.01))
    assert len(runs) == 5
    assert faults.current() == [] and faults.totals() == {"scanner": 3}


def test_the_loop_stops_when_told_even_between_failures() -> None:
    faults, stop = Faults(), threading.Event()

    def step() -> float:
        stop.set()
        raise RuntimeError("boom")

    keep_running(faults, "forecast", "refit", step, stop, Backoff(60.0, 60.0))  # returns at once
    assert faults.failing("forecast", "refit")
