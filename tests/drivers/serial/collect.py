"""Run a SerialReader on a thread and wait for what it yields, as the daemon's capture thread would."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from types import TracebackType

from drivers.serial.port import SerialReader
from drivers.serial.readings import Reading
from tests.waiting import PATIENCE_S


class Collector:
    def __init__(self, reader: SerialReader) -> None:
        self.reader = reader
        self.stop = threading.Event()
        self.readings: queue.Queue[Reading] = queue.Queue()
        self.seen: list[Reading] = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for reading in self.reader.readings(self.stop):
            self.readings.put(reading)

    def __enter__(self) -> Collector:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop.set()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "the reader did not honour stop"

    def until(self, predicate: Callable[[Reading], bool], timeout_s: float = PATIENCE_S) -> Reading:
        """The next reading matching `predicate`; fails the test after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                reading = self.readings.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(reading)
            if predicate(reading):
                return reading
        raise AssertionError(f"no matching reading within {timeout_s}s; saw {len(self.seen)} others")

    def take(self, count: int, timeout_s: float = PATIENCE_S) -> list[Reading]:
        return [self.until(lambda _r: True, timeout_s) for _ in range(count)]
