"""The field tool's helpers: a handful of readings from a configured sensor, as JSON-ready dicts."""

from __future__ import annotations

import json
import time

from drivers.emulators.ranger import A02yyuwEmulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.a02yyuw import A02yyuwConfig
from drivers.serial.field import read_sensor, reading_to_dict
from drivers.serial.geometry import Placement
from drivers.serial.readings import CommandAck, PresenceReading, RangeReading, Target, TargetsReading


def test_reads_count_readings_from_a_live_sensor() -> None:
    someone = Scenario((Walker(((0.0, 0.0, 1.5), (600.0, 0.0, 1.5))),), 600.0)
    emulator = A02yyuwEmulator(someone, Placement(0.0, 0.0, 0.0), speed=5.0)
    path = emulator.start()
    try:
        config = A02yyuwConfig(id="door", port=path, reconnect_min_s=0.05, reconnect_max_s=0.1)
        assert list(read_sensor(config, count=3, timeout_s=5.0)) == [RangeReading(1500)] * 3
    finally:
        emulator.stop()


def test_a_missing_sensor_yields_nothing_within_the_timeout() -> None:
    config = A02yyuwConfig(id="door", port="/nonexistent/ttyUSB9", reconnect_min_s=0.05, reconnect_max_s=0.1)
    started = time.monotonic()
    assert list(read_sensor(config, count=3, timeout_s=0.3)) == []
    assert time.monotonic() - started < 1.5


def test_every_kind_of_reading_becomes_json_with_a_kind() -> None:
    dicts = [
        reading_to_dict(TargetsReading((Target(-782, 1713, -16, 320),))),
        reading_to_dict(PresenceReading(1, 120, 60, 0, 0, 120, (1,) * 9, (2,) * 9)),
        reading_to_dict(RangeReading(1953)),
        reading_to_dict(CommandAck(0x00A0, 0, bytes.fromhex("0001070116150922"))),
    ]
    assert [d["kind"] for d in dicts] == ["targets", "presence", "range", "ack"]
    assert dicts[0]["targets"] == [{"x_mm": -782, "y_mm": 1713, "speed_cm_s": -16, "resolution_mm": 320}]
    assert dicts[1]["moving_gates"] == [1] * 9
    assert dicts[3] == {"kind": "ack", "command": 0xA0, "status": 0, "data": "0001070116150922"}
    assert json.loads(json.dumps(dicts)) == dicts
