"""Writes that could not be made yet (the disk full, the database damaged or locked), kept in order and
tried again with backoff until they are: a failed commit never loses a visit.

Whoever writes keeps going meanwhile (the recognition thread processes the next frames); the backlog
holds the part's fault, which health shows, until everything waiting is written. It lives in memory:
with the disk full there is nowhere durable to put it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from common.backoff import Backoff
from common.faults import Faults

log = logging.getLogger(__name__)

T = TypeVar("T")

# Weeks of a busy door's visits: past this the oldest goes (loudly) rather than memory running out.
MAX_WAITING = 10_000
# A retry that has failed and taken this long (a locked database makes each attempt wait for its
# timeout) leaves the rest for the next retry: the writer's thread must come back to its work.
SLOW_RETRY_S = 1.0


class Backlog(Generic[T]):
    def __init__(
        self,
        faults: Faults,
        part: str,
        task: str,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        limit: int = MAX_WAITING,
    ) -> None:
        self._faults = faults
        self._part, self._task = part, task
        self._backoff = backoff or Backoff(1.0, 30.0)
        self._clock = clock
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: deque[Callable[[], T | None]] = deque()
        self._next_try = 0.0
        self.lost = 0

    def __len__(self) -> int:
        return len(self._waiting)

    def write(self, attempt: Callable[[], T | None]) -> list[T]:
        """`attempt` now, after whatever still waits (the cause may be gone); what got written, oldest
        first. An attempt returns what its write produced, or None for nothing worth passing on."""
        with self._lock:
            self._append(attempt)
            return self._flush()

    def keep(self, attempt: Callable[[], T | None], error: Exception) -> None:
        """An attempt that just failed with `error`, made elsewhere: it waits with the others."""
        with self._lock:
            self._append(attempt)
            self._failed(error)

    def retry(self, force: bool = False) -> list[T]:
        """What waits, once its backoff is over (or at once with `force`); what got written."""
        with self._lock:
            if not self._waiting or (not force and self._clock() < self._next_try):
                return []
            return self._flush()

    def _flush(self) -> list[T]:
        written: list[T] = []
        failed: deque[Callable[[], T | None]] = deque()
        first_error: Exception | None = None
        started = self._clock()
        waiting = list(self._waiting)
        # Each is tried, not only the first: one write that always fails must not hold up the others.
        for index, attempt in enumerate(waiting):
            if first_error is not None and self._clock() - started > SLOW_RETRY_S:
                failed.extend(waiting[index:])
                break
            try:
                result = attempt()
            except Exception as exc:
                failed.append(attempt)
                first_error = first_error or exc
                continue
            if result is not None:
                written.append(result)
        self._waiting = failed
        if first_error is None:
            self._backoff.reset()
            self._faults.clear(self._part, self._task)
        else:
            self._failed(first_error)
        return written

    def _append(self, attempt: Callable[[], T | None]) -> None:
        if len(self._waiting) >= self._limit:
            self._waiting.popleft()
            self.lost += 1
            log.error("%s: %d waiting to be written; the oldest is dropped", self._part, self._limit)
        self._waiting.append(attempt)

    def _failed(self, error: Exception) -> None:
        self._faults.report(self._part, self._task, error)
        self._next_try = self._clock() + self._backoff.next_delay()
