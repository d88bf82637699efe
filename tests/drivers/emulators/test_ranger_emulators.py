"""Emulated ultrasonic rangers: the nearest person inside a narrow beam, else the maximum range."""

from __future__ import annotations

from common.backoff import Backoff
from drivers.emulators.ranger import A02yyuwEmulator, MaxbotixEmulator
from drivers.emulators.scenario import Scenario, Walker
from drivers.serial.a02yyuw import A02yyuwParser
from drivers.serial.geometry import Placement
from drivers.serial.maxbotix import MaxbotixParser
from drivers.serial.port import SerialReader
from drivers.serial.readings import RangeReading
from tests.drivers.serial.collect import Collector

DOOR = Placement(0.0, 0.0, 0.0)


def standing(*spots: tuple[float, float]) -> Scenario:
    return Scenario(tuple(Walker(((0.0, x, y), (1000.0, x, y))) for x, y in spots), 1000.0)


def test_only_people_inside_the_beam_count() -> None:
    # 20 degrees off axis is outside a +-15 degree beam; the person straight ahead is further but seen.
    scenario = standing((0.36, 1.0), (0.0, 2.5))
    assert A02yyuwEmulator(scenario, DOOR).distance_at(0.0) == 2500
    assert A02yyuwEmulator(standing(), DOOR).distance_at(0.0) == 4500
    assert MaxbotixEmulator(standing(), DOOR).distance_at(0.0) == 5000


def test_a02yyuw_frames_reach_the_reader_over_a_pty() -> None:
    emulator = A02yyuwEmulator(standing((0.0, 1.953)), DOOR, speed=5.0)
    path = emulator.start()
    try:
        with Collector(SerialReader(path, 9600, A02yyuwParser(), backoff=Backoff(0.02, 0.1))) as collector:
            assert collector.take(5) == [RangeReading(1953)] * 5
    finally:
        emulator.stop()


def test_aj_sr04m_clone_checksums_need_the_clone_parser() -> None:
    emulator = A02yyuwEmulator(standing((0.0, 1.0)), DOOR, speed=5.0, checksum_includes_header=False)
    path = emulator.start()
    try:
        parser = A02yyuwParser(checksum_includes_header=False)
        with Collector(SerialReader(path, 9600, parser, backoff=Backoff(0.02, 0.1))) as collector:
            assert collector.take(3) == [RangeReading(1000)] * 3
    finally:
        emulator.stop()


def test_maxbotix_frames_reach_the_reader_over_a_pty() -> None:
    emulator = MaxbotixEmulator(standing((0.0, 1.234)), DOOR, speed=5.0)
    path = emulator.start()
    try:
        with Collector(SerialReader(path, 9600, MaxbotixParser(), backoff=Backoff(0.02, 0.1))) as collector:
            assert collector.take(3) == [RangeReading(1234)] * 3
    finally:
        emulator.stop()
