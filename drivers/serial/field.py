"""Support for the field tool (`branchdoor sensors read`): a few readings from a configured sensor,
as JSON or as a person reads them, with the rate and the share of bad frames the parser counted."""

from __future__ import annotations

import dataclasses
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from drivers.serial.port import SerialReader
from drivers.serial.readings import (
    CommandAck,
    PresenceReading,
    RangeReading,
    Reading,
    Target,
    TargetsReading,
)
from drivers.serial.registry import AnySensorConfig, open_sensor

_KINDS: dict[type, str] = {
    TargetsReading: "targets",
    PresenceReading: "presence",
    RangeReading: "range",
    CommandAck: "ack",
}


def read_sensor(
    config: AnySensorConfig, count: int, timeout_s: float, reader: SerialReader | None = None
) -> Iterator[Reading]:
    """Up to `count` readings, ending early after `timeout_s` (a missing or silent sensor yields none).
    Pass `reader` (from `open_sensor(config)`) to watch its parser's counters meanwhile."""
    reader = reader or open_sensor(config)
    stop = threading.Event()
    deadline = time.monotonic() + timeout_s
    # The reader only yields when bytes decode, so a timer has to end a silent wait.
    timer = threading.Timer(timeout_s, stop.set)
    timer.daemon = True
    timer.start()
    readings = reader.readings(stop)
    try:
        for seen, reading in enumerate(readings, start=1):
            yield reading
            if seen >= count or time.monotonic() >= deadline:
                return
    finally:
        timer.cancel()
        stop.set()
        readings.close()


def reading_to_dict(reading: Reading) -> dict[str, Any]:
    """JSON-ready: a "kind" key, tuples as lists, ACK data as hex."""
    body = {f.name: getattr(reading, f.name) for f in dataclasses.fields(reading)}
    if isinstance(reading, TargetsReading):
        body["targets"] = [dataclasses.asdict(t) for t in reading.targets]
    if isinstance(reading, PresenceReading):
        body["moving_gates"] = list(reading.moving_gates)
        body["stationary_gates"] = list(reading.stationary_gates)
    if isinstance(reading, CommandAck):
        body["data"] = reading.data.hex()
    return {"kind": _KINDS[type(reading)], **body}


def port_problem(path: str) -> str | None:
    """Why `path` cannot be a serial port, when that is known without waiting for it; else None.
    (A port that exists but stays silent is only known after the timeout.)"""
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return f"no such port: {path}"
    except OSError as exc:
        return f"cannot use {path}: {exc.strerror or exc}"
    if not stat.S_ISCHR(mode):
        return f"not a serial port (not a character device): {path}"
    if not os.access(path, os.R_OK | os.W_OK):
        return f"no permission to open {path}: see `ls -l {path}` (serial ports usually need group dialout)"
    return None


# What a person calls each sensor type; a type not named here is called by its name.
SENSOR_KINDS = {
    "ld2450": "radar",
    "ld2410": "radar",
    "a02yyuw": "ranger",
    "jsn_sr04t": "ranger",
    "maxbotix": "ranger",
}


def sensor_kind(sensor_type: str) -> str:
    return SENSOR_KINDS.get(sensor_type, sensor_type)


def in_words(reading: Reading) -> str:
    """A reading as a person reads it: metres, sides and directions rather than field names."""
    if isinstance(reading, TargetsReading):
        if not reading.targets:
            return "no targets"
        count = len(reading.targets)
        where = "; ".join(_target_in_words(t) for t in reading.targets)
        return f"{count} target{'s' if count > 1 else ''}: {where}"
    if isinstance(reading, PresenceReading):
        return _presence_in_words(reading)
    if isinstance(reading, RangeReading):
        return f"{reading.distance_mm / 1000:.2f} m"
    if isinstance(reading, CommandAck):
        verdict = "done" if reading.status == 0 else f"refused (status {reading.status})"
        data = f", data {reading.data.hex()}" if reading.data else ""
        return f"answer to command 0x{reading.command:04X}: {verdict}{data}"
    return f"code {reading.text}"


def _target_in_words(target: Target) -> str:
    side = "left" if target.x_mm < 0 else "right"
    speed = abs(target.speed_cm_s) / 100
    if target.speed_cm_s == 0:
        moving = "still"
    else:
        moving = f"{'approaching' if target.speed_cm_s < 0 else 'moving away'} at {speed:.2f} m/s"
    return f"{abs(target.x_mm) / 1000:.2f} m {side}, {target.y_mm / 1000:.2f} m ahead, {moving}"


def _presence_in_words(reading: PresenceReading) -> str:
    found = []
    if reading.state & 1:
        found.append(f"someone moving at {reading.moving_cm / 100:.2f} m (energy {reading.moving_energy})")
    if reading.state & 2:
        found.append(
            f"someone still at {reading.stationary_cm / 100:.2f} m (energy {reading.stationary_energy})"
        )
    return ", ".join(found) if found else "nobody"


class FrameCounters(Protocol):
    """What `FrameRate` reads of a parser (`drivers.serial.base.Parser` has them)."""

    frames_ok: int
    bad_frames: int
    bytes_discarded: int


class FrameRate:
    """Readings per second and the share of bad frames since the last `sample`, from a parser's counters
    (read from another thread while the parser runs: a count may be one frame late, never wrong)."""

    def __init__(self, parser: FrameCounters, clock: Callable[[], float] = time.monotonic) -> None:
        self._parser = parser
        self._clock = clock
        self._since = self._counts()

    def _counts(self) -> tuple[float, int, int, int]:
        parser = self._parser
        return self._clock(), parser.frames_ok, parser.bad_frames, parser.bytes_discarded

    def sample(self) -> str:
        now = self._counts()
        (started, ok0, bad0, junk0), (ended, ok1, bad1, junk1) = self._since, now
        self._since = now
        ok, bad, junk = ok1 - ok0, bad1 - bad0, junk1 - junk0
        rate = ok / (ended - started) if ended > started else 0.0
        if ok + bad == 0 and junk:
            return f"{rate:.1f} readings/s, {junk} bytes matched no frame (check --type and --baud)"
        share = 100 * bad / (ok + bad) if ok + bad else 0.0
        return f"{rate:.1f} readings/s, {share:.1f} % bad frames"


@contextmanager
def rate_lines(parser: FrameCounters, say: Callable[[str], None], period_s: float = 1.0) -> Iterator[None]:
    """While the block runs, `say` a `FrameRate` line every `period_s`, from a thread of its own: a
    sensor that goes silent gets its "0.0 readings/s" line, which a loop over readings never would."""
    done = threading.Event()

    def tick() -> None:
        window = FrameRate(parser)
        while not done.wait(period_s):
            say(window.sample())

    ticker = threading.Thread(target=tick, name="rate-lines", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
