"""A one-slot mailbox: capture never waits for recognition; a stale frame is replaced, and counted."""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestOnly(Generic[T]):
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._closed = False
        self.dropped = 0

    def put(self, item: T) -> None:
        with self._cond:
            if self._item is not None:
                self.dropped += 1
            self._item = item
            self._cond.notify()

    def close(self) -> None:
        """No more items; `get` drains what is left, then returns None."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def get(self, timeout_s: float | None = None) -> T | None:
        with self._cond:
            self._cond.wait_for(lambda: self._item is not None or self._closed, timeout=timeout_s)
            item, self._item = self._item, None
            return item
