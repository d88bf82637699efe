"""Bytes from a serial port into a parser, surviving the port vanishing and coming back.

A USB serial adapter that is unplugged makes reads fail (SerialException/OSError) and its device
path disappear; when it is plugged back in the same path (ideally a /dev/serial/by-id/ link)
reappears. The reader hides this the way camera drivers hide reconnects: `readings` keeps waiting,
with backoff, instead of ending. The parser is kept across reconnects: a frame cut by the unplug
costs one bad frame when the resynchronising scanner meets the new stream, and counters keep counting.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Protocol

import serial

from common.backoff import Backoff
from drivers.serial.base import Parser
from drivers.serial.readings import Reading

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.1  # bounds how long a stop request waits for a quiet port


class SerialPort(Protocol):
    """The part of serial.Serial the reader uses."""

    @property
    def in_waiting(self) -> int: ...
    def read(self, size: int = 1) -> bytes: ...
    def write(self, data: bytes, /) -> int | None: ...
    def close(self) -> None: ...


def open_pyserial(path: str, baud: int) -> SerialPort:
    return serial.Serial(path, baud, timeout=READ_TIMEOUT_S)


class SerialReader:
    def __init__(
        self,
        path: str,
        baud: int,
        parser: Parser,
        opener: Callable[[str, int], SerialPort] = open_pyserial,
        backoff: Backoff | None = None,
    ) -> None:
        self.path = path
        self.baud = baud
        self.parser = parser
        self._opener = opener
        self._backoff = backoff or Backoff(0.5, 10.0)
        self._port: SerialPort | None = None
        self._lock = threading.Lock()  # guards _port between the reading thread and writers
        self.reconnects = 0
        self.opened = threading.Event()  # set while the port is open

    def describe(self) -> str:
        return f"serial:{self.path}@{self.baud}"

    def write(self, data: bytes) -> bool:
        """Send command bytes; False if the port is not open right now (the caller may retry)."""
        with self._lock:
            if self._port is None:
                return False
            try:
                self._port.write(data)
            except (serial.SerialException, OSError) as exc:
                log.warning("%s: write failed: %s", self.describe(), exc)
                return False
            return True

    def _open(self) -> SerialPort | None:
        try:
            port = self._opener(self.path, self.baud)
        except (serial.SerialException, OSError, ValueError) as exc:
            log.debug("%s: cannot open: %s", self.describe(), exc)
            return None
        with self._lock:
            self._port = port
        self.opened.set()
        return port

    def _close(self) -> None:
        self.opened.clear()
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):  # already gone with the device
                port.close()

    def _chunks(self, port: SerialPort, stop: threading.Event) -> Iterator[bytes]:
        """Bytes as they arrive, until the port fails (returns) or stop is set."""
        while not stop.is_set():
            try:
                # Read what is waiting, or block for one byte up to the timeout: low latency
                # without spinning.
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                log.warning("%s: lost: %s", self.describe(), exc)
                return
            if data:
                yield data

    def readings(self, stop: threading.Event) -> Generator[Reading, None, None]:
        """Readings until `stop` is set; reopens the port (with backoff) whenever it is lost."""
        ever_opened = False
        try:
            while not stop.is_set():
                port = self._open()
                if port is None:
                    stop.wait(self._backoff.next_delay())
                    continue
                if ever_opened:
                    self.reconnects += 1
                    log.info("%s: reconnected (%d)", self.describe(), self.reconnects)
                ever_opened = True
                self._backoff.reset()
                for chunk in self._chunks(port, stop):
                    yield from self.parser.feed(chunk)
                self._close()
                if not stop.is_set():
                    stop.wait(self._backoff.next_delay())
        finally:
            self._close()
