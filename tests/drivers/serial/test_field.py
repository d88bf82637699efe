"""The field tool's helpers: a handful of readings from a configured sensor, as JSON-ready dicts or
in words, with the rate and share of bad frames, and a port that cannot be one named at once."""

from __future__ import annotations

import json
import time
from pathlib import Path

from drivers.emulators.pty import PtyPort
from drivers.emulators.ranger import A02yyuwEmulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.a02yyuw import A02yyuwConfig
from drivers.serial.field import FrameRate, in_words, port_problem, read_sensor, reading_to_dict
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


def test_readings_in_words_say_metres_sides_and_directions() -> None:
    radar = TargetsReading(
        (Target(-782, 1713, -16, 320), Target(1200, 3400, 0, 320), Target(50, 900, 30, 320))
    )
    assert in_words(radar) == (
        "3 targets: 0.78 m left, 1.71 m ahead, approaching at 0.16 m/s; "
        "1.20 m right, 3.40 m ahead, still; 0.05 m right, 0.90 m ahead, moving away at 0.30 m/s"
    )
    assert in_words(TargetsReading(())) == "no targets"
    assert (
        in_words(TargetsReading((Target(0, 2000, 0, 320),))) == "1 target: 0.00 m right, 2.00 m ahead, still"
    )
    assert in_words(RangeReading(2310)) == "2.31 m"
    assert in_words(PresenceReading(0, 0, 0, 0, 0, 0)) == "nobody"
    assert in_words(PresenceReading(3, 120, 60, 250, 40, 120)) == (
        "someone moving at 1.20 m (energy 60), someone still at 2.50 m (energy 40)"
    )
    assert (
        in_words(CommandAck(0x00A0, 0, bytes.fromhex("0001"))) == "answer to command 0x00A0: done, data 0001"
    )
    assert in_words(CommandAck(0x0061, 1, b"")) == "answer to command 0x0061: refused (status 1)"


class Counters:
    def __init__(self) -> None:
        self.frames_ok = self.bad_frames = self.bytes_discarded = 0


def test_the_rate_line_counts_readings_per_second_and_the_share_of_bad_frames() -> None:
    parser, now = Counters(), [100.0]
    rate = FrameRate(parser, clock=lambda: now[0])
    parser.frames_ok, parser.bad_frames, parser.bytes_discarded, now[0] = 200, 1, 30, 120.0
    assert rate.sample() == "10.0 readings/s, 0.5 % bad frames"
    now[0] = 121.0  # a silent second
    assert rate.sample() == "0.0 readings/s, 0.0 % bad frames"
    parser.bytes_discarded, now[0] = 330, 122.0  # bytes, but never a frame: the wrong type or baud
    assert rate.sample() == "0.0 readings/s, 300 bytes matched no frame (check --type and --baud)"


def test_a_path_that_cannot_be_a_port_is_named_at_once(tmp_path: Path) -> None:
    assert port_problem(str(tmp_path / "ttyUSB9")) == f"no such port: {tmp_path / 'ttyUSB9'}"
    assert port_problem(str(tmp_path)) == f"not a serial port (not a character device): {tmp_path}"
    with PtyPort() as port:
        assert port_problem(port.path) is None
