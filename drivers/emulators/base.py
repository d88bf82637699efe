"""The thread every emulated serial sensor runs: pace frames, apply corruption, hear commands.

Scenario time starts when a host first opens the port, not when the emulator starts: a daemon on a
busy machine may take many seconds to open its sensors, and walkers who crossed the door before
then would never be seen. Nothing is sent before that. A host that flushes its input on opening
(pyserial does) may still discard the first frame or two, as with a real sensor already streaming.
The clock then runs on through unplugs and replugs.

Pacing is in scenario time: frame n describes the floor at t = n / rate_hz and is written when
(clock() - start) * speed reaches that t. With speed 10, a 60 s scenario plays in 6 s of wall time
and frames go out ten times faster than the real device would send them; the bytes are unchanged.
A pty ignores baud timing, so this pacing is the only thing standing in for the device's rate.
"""

from __future__ import annotations

import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TypedDict

from drivers.emulators.corruption import Corruption
from drivers.emulators.pty import PtyPort
from drivers.emulators.scenario import Scenario
from drivers.serial.geometry import Placement

POLL_S = 0.005  # how often host commands are looked for between frames


class EmulatorOptions(TypedDict, total=False):
    """What every emulator accepts besides its own arguments (see SerialEmulator)."""

    corruption: Corruption | None
    clock: Callable[[], float]
    speed: float
    port: PtyPort | None


class SerialEmulator(ABC):
    """A device speaking its byte protocol about people walking `scenario`, seen from `placement`."""

    def __init__(
        self,
        scenario: Scenario,
        placement: Placement,
        rate_hz: float,
        corruption: Corruption | None = None,
        clock: Callable[[], float] = time.monotonic,
        speed: float = 1.0,
        port: PtyPort | None = None,
    ) -> None:
        if rate_hz <= 0 or speed <= 0:
            raise ValueError("rate_hz and speed must be positive")
        self.scenario = scenario
        self.placement = placement
        self.rate_hz = rate_hz
        self.corruption = corruption
        self.clock = clock
        self.speed = speed
        self.port = port or PtyPort()
        self.frames_sent = 0
        self.bytes_dropped = 0  # refused by a full or unplugged pty, as an unread UART overruns
        self.first_reader = threading.Event()  # set when scenario time 0 began: a host opened the port
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def frame_at(self, t: float) -> bytes:
        """The bytes the device sends for the floor as it is at scenario time t."""

    def on_bytes(self, data: bytes) -> None:  # noqa: B027 - an optional hook, not an abstract one
        """Bytes the host wrote to the device; sensors without commands ignore them."""

    def send(self, data: bytes) -> None:
        if self.corruption is not None:
            data = self.corruption.apply(data)
        written = self.port.write(data)
        self.bytes_dropped += len(data) - written

    def start(self) -> str:
        """Plug the port in; frames follow once a host opens the returned path."""
        path = self.port.plug()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        return path

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.port.close()

    def _run(self) -> None:
        while not self.port.reader_present():
            if self._stop.wait(POLL_S):
                return
        self.first_reader.set()
        period = 1.0 / self.rate_hz
        started = self.clock()
        next_t = 0.0
        while not self._stop.is_set():
            incoming = self.port.read()
            if incoming:
                self.on_bytes(incoming)
            now = (self.clock() - started) * self.speed
            if now >= next_t:
                self.send(self.frame_at(next_t))
                self.frames_sent += 1
                next_t += period
                if next_t <= now:  # after a stall, skip the missed frames instead of bursting them
                    next_t = (math.floor(now / period) + 1) * period
            wait = (next_t - now) / self.speed
            self._stop.wait(min(max(wait, 0.0), POLL_S))
