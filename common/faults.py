"""Surviving failures: what each part of a long-running program cannot do right now, and the loop that
keeps a part's thread going through them.

A thread that dies of one exception takes its job with it until someone restarts the program. Here a
failure is logged, counted, held as the part's current fault (which health and metrics read) and
retried with backoff; the fault is cleared by the first success after it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from common.backoff import Backoff

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Fault:
    part: str  # who: "recognition", "central", "floor", ...
    task: str  # what it cannot do, to follow "cannot": "record check-ins"
    error: str  # the latest failure, as its exception said it
    since: float  # wall clock of the first failure of this run of failures
    count: int  # failures in this run

    def __str__(self) -> str:
        return f"{self.part}: cannot {self.task} ({self.error})"


class Faults:
    """Shared by the threads that report and the health and metrics that read: thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._current: dict[tuple[str, str], Fault] = {}
        self._totals: Counter[str] = Counter()

    def report(self, part: str, task: str, exc: BaseException) -> Fault:
        """A failure: logged (with its traceback when a run of failures starts), counted, and held
        until `clear`."""
        error = summary(exc)
        with self._lock:
            previous = self._current.get((part, task))
            since = previous.since if previous is not None else self._clock()
            fault = Fault(part, task, error, since, 1 if previous is None else previous.count + 1)
            self._current[(part, task)] = fault
            self._totals[part] += 1
        if previous is None:
            log.error("%s; retrying", fault, exc_info=exc)
        else:
            log.warning("%s; still failing (%d times)", fault, fault.count)
        return fault

    def clear(self, part: str, task: str) -> None:
        """The task succeeded: its fault, if it had one, is over."""
        with self._lock:
            fault = self._current.pop((part, task), None)
        if fault is not None:
            took = self._clock() - fault.since
            log.info("%s: can %s again, after %d failure(s) over %.0fs", part, task, fault.count, took)

    def attempt(self, part: str, task: str, action: Callable[[], T]) -> T | None:
        """`action()`, or None when it raised: the failure is reported, the next success clears it."""
        try:
            result = action()
        except Exception as exc:
            self.report(part, task, exc)
            return None
        self.clear(part, task)
        return result

    def failing(self, part: str, task: str) -> bool:
        with self._lock:
            return (part, task) in self._current

    def current(self) -> list[Fault]:
        """Every fault held now, oldest first."""
        with self._lock:
            return sorted(self._current.values(), key=lambda fault: fault.since)

    def totals(self) -> dict[str, int]:
        """Failures so far, per part, including those long cleared."""
        with self._lock:
            return dict(self._totals)


def summary(exc: BaseException) -> str:
    """What health may say of a failure, and health is published: the words of the database or the
    operating system, which name no one, else only the error's type (a message may quote the data it
    failed on: a name, a customer reference). The log has the rest."""
    if isinstance(exc, sqlite3.Error | OSError) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}, see the log"


def keep_running(
    faults: Faults,
    part: str,
    task: str,
    step: Callable[[], float | None],
    stop: threading.Event,
    backoff: Backoff,
) -> None:
    """Run `step` until `stop` is set or it returns None, waiting the seconds it returns in between. A
    step that raises is reported and run again after the backoff; one that returns clears the fault
    (a step that runs long, such as reading a stream, can also clear it itself once it works again)."""
    while not stop.is_set():
        try:
            wait = step()
        except Exception as exc:
            faults.report(part, task, exc)
            stop.wait(backoff.next_delay())
            continue
        backoff.reset()
        faults.clear(part, task)
        if wait is None:
            return
        if wait > 0:
            stop.wait(wait)
