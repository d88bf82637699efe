"""The emulated LD2450 over a real pty: what the reader decodes maps back onto the scripted floor."""

from __future__ import annotations

import math
import os
import time

import pytest

from common.backoff import Backoff
from drivers.emulators.corruption import Corruption
from drivers.emulators.ld2450 import Ld2450Emulator
from drivers.emulators.scenario import Scenario, Walker, door_traffic
from drivers.serial.geometry import Placement
from drivers.serial.ld2450 import Ld2450Parser
from drivers.serial.port import SerialReader
from drivers.serial.readings import TargetsReading
from tests.drivers.serial.collect import Collector
from tests.waiting import eventually

DOOR = Placement(3.0, 0.0, 0.0)  # above the door, looking into the branch


def standing(*spots: tuple[float, float]) -> Scenario:
    return Scenario(tuple(Walker(((0.0, x, y), (1000.0, x, y))) for x, y in spots), 1000.0)


def test_targets_are_in_range_nearest_first_and_at_most_three() -> None:
    # Five people: one behind the sensor, one beyond 6 m, one outside +-60 degrees, three in view.
    scenario = standing((3.0, -1.0), (3.0, 6.5), (7.0, 1.0), (3.5, 4.0), (2.0, 1.5), (3.0, 3.0))
    targets = Ld2450Emulator(scenario, DOOR).targets_at(1.0)
    assert [(t.x_mm, t.y_mm) for t in targets] == [(-1000, 1500), (0, 3000), (500, 4000)]
    distances = [math.hypot(t.x_mm, t.y_mm) for t in targets]
    assert distances == sorted(distances)
    assert (
        Ld2450Emulator(standing((3.0, 1.0), (3.1, 2.0), (2.9, 3.0), (3.0, 4.0)), DOOR)
        .targets_at(0.0)[-1]
        .y_mm
        == 3000
    )


def test_an_approaching_walker_has_negative_speed() -> None:
    scenario = Scenario((Walker(((0.0, 3.0, 5.0), (4.0, 3.0, 1.0))),), 4.0)
    [target] = Ld2450Emulator(scenario, DOOR).targets_at(2.0)
    assert target.speed_cm_s == -100


def test_frames_over_a_pty_decode_back_onto_the_floor() -> None:
    spots = [(2.0, 1.5), (3.5, 4.0)]
    emulator = Ld2450Emulator(standing(*spots), DOOR, speed=10.0)
    path = emulator.start()
    try:
        reader = SerialReader(path, 256000, Ld2450Parser(), backoff=Backoff(0.02, 0.1))
        with Collector(reader) as collector:
            readings = collector.take(30)
    finally:
        emulator.stop()
    assert reader.parser.bad_frames == 0
    for reading in readings:
        assert isinstance(reading, TargetsReading)
        floor = [DOOR.to_floor(t.x_mm, t.y_mm) for t in reading.targets]
        assert floor == [pytest.approx(spot, abs=0.001) for spot in spots]


@pytest.mark.slow
def test_a_minute_of_door_traffic_streams_in_a_few_seconds() -> None:
    emulator = Ld2450Emulator(door_traffic(), DOOR, speed=20.0)
    path = emulator.start()
    try:
        reader = SerialReader(path, 256000, Ld2450Parser(), backoff=Backoff(0.02, 0.1))
        with Collector(reader) as collector:
            readings = collector.take(600)
    finally:
        emulator.stop()
    assert reader.parser.bad_frames == 0
    counts = [len(r.targets) for r in readings if isinstance(r, TargetsReading)]
    assert len(counts) == 600
    assert max(counts) == 3 and min(counts) == 0  # everyone at once, and the empty floor at the end


def test_pace_follows_the_injected_clock_scaled_by_speed() -> None:
    now = [100.0]
    emulator = Ld2450Emulator(standing((3.0, 2.0)), DOOR, rate_hz=8.0, clock=lambda: now[0], speed=2.0)
    path = emulator.start()
    host = os.open(path, os.O_RDWR | os.O_NOCTTY)  # scenario time starts when a host opens the port
    try:
        assert settles_at(emulator, 1)
        for sent in range(2, 12):
            # 1/16 clock second at speed 2 = 1/8 scenario second = one frame at 8 Hz (exact in binary)
            now[0] += 0.0625
            assert settles_at(emulator, sent), emulator.frames_sent
        now[0] += 10.0  # a stall: the missed frames are skipped, not burst out
        assert settles_at(emulator, 12), emulator.frames_sent
    finally:
        os.close(host)
        emulator.stop()


@pytest.mark.slow
def test_scenario_time_starts_when_the_host_opens_the_port() -> None:
    # Someone stands in view for the scenario's first 20 s (1 s of wall time at speed 20), and the
    # host opens the port later than that, as a daemon starting on a busy machine does: it still
    # sees them. The sleep plays the slow host; no outcome depends on how long it really lasts.
    early = Scenario((Walker(((0.0, 3.0, 2.0), (20.0, 3.0, 2.0))),), 20.0)
    emulator = Ld2450Emulator(early, DOOR, speed=20.0)
    path = emulator.start()
    try:
        time.sleep(1.5)
        reader = SerialReader(path, 256000, Ld2450Parser(), backoff=Backoff(0.02, 0.1))
        with Collector(reader) as collector:
            first = collector.until(lambda r: isinstance(r, TargetsReading))
    finally:
        emulator.stop()
    assert isinstance(first, TargetsReading)
    assert [(t.x_mm, t.y_mm) for t in first.targets] == [(0, 2000)]


def test_corruption_on_the_wire_is_survived() -> None:
    emulator = Ld2450Emulator(
        door_traffic(), DOOR, speed=20.0, corruption=Corruption(flip_bit_rate=0.002, junk_rate=0.002, seed=3)
    )
    path = emulator.start()
    try:
        reader = SerialReader(path, 256000, Ld2450Parser(), backoff=Backoff(0.02, 0.1))
        with Collector(reader) as collector:
            collector.take(100)
    finally:
        emulator.stop()
    parser = reader.parser
    assert parser.bytes_discarded > 0
    assert parser.frames_ok >= 100


def settles_at(emulator: Ld2450Emulator, count: int) -> bool:
    """frames_sent reaches `count` and is still there a moment later, so an overshoot would show."""
    reached = eventually(lambda: emulator.frames_sent >= count)
    time.sleep(0.05)
    return reached and emulator.frames_sent == count
