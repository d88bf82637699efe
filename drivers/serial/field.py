"""Support for the field tool: read a few readings from a configured sensor and print them as JSON."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any

from drivers.serial.readings import CommandAck, PresenceReading, RangeReading, Reading, TargetsReading
from drivers.serial.registry import AnySensorConfig, open_sensor

_KINDS: dict[type, str] = {
    TargetsReading: "targets",
    PresenceReading: "presence",
    RangeReading: "range",
    CommandAck: "ack",
}


def read_sensor(config: AnySensorConfig, count: int, timeout_s: float) -> Iterator[Reading]:
    """Up to `count` readings, ending early after `timeout_s` (a missing or silent sensor yields none)."""
    reader = open_sensor(config)
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
